// Output formatting shared by the image verbs: aligned tables (docker's tabwriter look), JSON,
// and Go-style templates ("table {{.Repository}}\t{{.Tag}}", "{{json .}}"), sizes and ages.
import { invalidArgument } from '../internal/errors.js';

/**
 * Aligns tab-separated cells into columns three spaces apart, as docker's tabwriter does; a
 * cell takes at least `minWidth` (docker's minwidth: 10 for its formatted tables, 20 for top).
 */
export function alignColumns(lines: string[], minWidth = 10): string {
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(minWidth, widths[i] + 3)))).join('').trimEnd()}\n`).join('');
}

/** docker's units.HumanSize: decimal units, three significant digits ("1.24MB", "4.26kB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** docker's "2 days ago" (units.HumanDuration plus " ago"). */
export function timeAgo(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(t)) return 'N/A';
  const s = Math.max(0, (now - t) / 1000);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  let d: string;
  if (s < 1) d = 'Less than a second';
  else if (s < 60) d = plural(Math.floor(s), 'second');
  else if (s < 3600) d = Math.floor(s / 60) === 1 ? 'About a minute' : plural(Math.floor(s / 60), 'minute');
  else if (s < 86400) d = Math.round(s / 3600) === 1 ? 'About an hour' : plural(Math.round(s / 3600), 'hour');
  else if (s < 86400 * 14) d = plural(Math.floor(s / 86400), 'day');
  else if (s < 86400 * 60) d = plural(Math.floor(s / 86400 / 7), 'week');
  else if (s < 86400 * 365 * 2) d = plural(Math.floor(s / 86400 / 30), 'month');
  else d = plural(Math.floor(s / 86400 / 365), 'year');
  return `${d} ago`;
}

/**
 * docker's CreatedAt of ps and images: Go's time.String() of the whole second in local time,
 * "2026-12-04 13:32:01 +0000 UTC" ("" for no time).
 */
export function goTimeString(iso: string | undefined): string {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(ms)) return iso ?? '';
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone =
    offset === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '');
  const sign = offset < 0 ? '-' : '+';
  const hhmm = `${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${hhmm} ${zone}`;
}

/** docker's CreatedAt of history: RFC 3339 to the second ("2026-12-04T13:32:01Z"). */
export function rfc3339Seconds(iso: string | undefined): string {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19)}Z` : (iso ?? '');
}

/** "sha256:abc..." -> the first 12 hex digits, as docker shows IDs. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

type Value = unknown;

function lookup(data: Value, path: string): Value {
  if (path === '.') return data;
  let cur: Value = data;
  for (const key of path.slice(1).split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Value>)[key];
  }
  return cur;
}

function show(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v as object).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  return String(v);
}

/** Splits an action's words, keeping "quoted strings" whole. */
function words(action: string): string[] {
  return [...action.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? JSON.stringify(JSON.parse(`"${m[1]}"`)) : m[2]));
}

function evalArg(word: string, data: Value): Value {
  if (word.startsWith('"')) return JSON.parse(word);
  if (word.startsWith('.')) return lookup(data, word);
  throw invalidArgument(`template: unknown value "${word}"`);
}

/** The template functions berth knows, each over its evaluated arguments. */
const FUNCTIONS: Record<string, (args: Value[]) => string> = {
  json: (args) => JSON.stringify(args[0] ?? null),
  upper: (args) => show(args[0]).toUpperCase(),
  lower: (args) => show(args[0]).toLowerCase(),
  index: (args) => {
    const obj = args[0] as Record<string, Value> | Value[] | undefined;
    return show(obj === undefined || obj === null ? undefined : (obj as Record<string, Value>)[String(args[1])]);
  },
  join: (args) => ((args[0] as Value[] | undefined) ?? []).map(show).join(String(args[1] ?? '')),
  truncate: (args) => show(args[0]).slice(0, Number(args[1])),
  println: (args) => `${args.map(show).join(' ')}\n`,
};

/** One {{ action }}: a field path, or a function (json, upper, lower, index, join, truncate) with arguments. */
function evalAction(action: string, data: Value): string {
  const w = words(action.trim());
  if (w.length === 0) throw invalidArgument('template: empty action {{}}');
  const args = w.slice(1).map((a) => evalArg(a, data));
  if (w[0].startsWith('.')) {
    // A method of the row (docker's {{.Label "env"}}) is called with the arguments that follow.
    const v = lookup(data, w[0]) as Value | ((...a: Value[]) => Value);
    return show(typeof v === 'function' ? v(...args) : v);
  }
  const fn = Object.hasOwn(FUNCTIONS, w[0]) ? FUNCTIONS[w[0]] : undefined;
  if (!fn) throw invalidArgument(`template: function "${w[0]}" not defined`);
  return fn(args);
}

/**
 * A template's pieces in order: its text, and each {{ action }} (the "-" of {{- and -}} taken
 * off; `trimBefore` for {{-, which trims the text before it).
 */
function* templatePieces(template: string): Generator<{ text: string } | { action: string; trimBefore: boolean }> {
  let i = 0;
  for (;;) {
    const open = template.indexOf('{{', i);
    if (open === -1) {
      yield { text: template.slice(i) };
      return;
    }
    const close = template.indexOf('}}', open);
    if (close === -1) throw invalidArgument('failed to parse template: template: :1: unclosed action');
    yield { text: template.slice(i, open) };
    let body = template.slice(open + 2, close);
    const trimBefore = body.startsWith('-');
    if (trimBefore) body = body.slice(1);
    yield { action: body.endsWith('-') ? body.slice(0, -1) : body, trimBefore };
    i = close + 2;
  }
}

/**
 * Parses a template without rendering it, as docker's CLI does before it lists anything: an
 * unclosed action or an unknown function is its error even when there is no row to render.
 */
export function checkTemplate(template: string): void {
  for (const piece of templatePieces(template)) {
    if (!('action' in piece)) continue;
    const first = words(piece.action.trim())[0];
    if (first !== undefined && !first.startsWith('.') && !first.startsWith('"') && !Object.hasOwn(FUNCTIONS, first)) {
      throw invalidArgument(`failed to parse template: template: :1: function "${first}" not defined`);
    }
  }
}

/** Renders a Go-style template over one value ("\t" and "\n" written as escapes become tab and newline). */
export function renderTemplate(template: string, data: Value): string {
  let out = '';
  for (const piece of templatePieces(template.replace(/\\t/g, '\t').replace(/\\n/g, '\n'))) {
    if (!('action' in piece)) out += piece.text;
    else out = (piece.trimBefore ? out.trimEnd() : out) + evalAction(piece.action, data);
  }
  return out;
}

export interface FormatSpec<T> {
  /** Columns of the default table: header and template field. */
  columns: { header: string; field: string }[];
  /** Headers for fields a user's "table ..." template names. */
  headers: Record<string, string>;
  /** The row as templates see it ({{.Repository}}). */
  view(row: T): Record<string, unknown>;
}

/**
 * A row as docker's `--format json` prints it: one object a line, its keys in byte order (Go's
 * maps), the row's methods ({{.Label "k"}}) left out.
 */
export function jsonLine(view: Record<string, unknown>): string {
  const entries = Object.entries(view).filter(([, v]) => typeof v !== 'function');
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

/**
 * Prints rows as a table (default), JSON lines ("json", as docker's CLI), a template per row,
 * or "table <template>" with headers. `quiet` prints only `quietField`.
 */
export function formatRows<T>(rows: T[], spec: FormatSpec<T>, format: string | undefined): string {
  if (format !== undefined && format !== 'json') checkTemplate(format);
  const views = rows.map((r) => spec.view(r));
  if (format === 'json') return views.map((v) => `${jsonLine(v)}\n`).join('');
  const tableTemplate = (fields: string[]) => fields.map((f) => `{{${f}}}`).join('\t');
  if (format === undefined || format === '' || format === 'table') {
    const head = spec.columns.map((c) => c.header).join('\t');
    const tpl = tableTemplate(spec.columns.map((c) => c.field));
    return alignColumns([head, ...views.map((v) => renderTemplate(tpl, v))]);
  }
  if (format.startsWith('table ') || format.startsWith('table\t')) {
    const tpl = format.slice(6);
    const header = tpl.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, action: string) => {
      const w = words(action);
      const field = w.find((x) => x.startsWith('.'));
      return field ? (spec.headers[field.slice(1)] ?? field.slice(1).toUpperCase()) : action.toUpperCase();
    });
    return alignColumns([renderTemplate(header, {}), ...views.map((v) => renderTemplate(tpl, v))]);
  }
  return views.map((v) => `${renderTemplate(format, v)}\n`).join('');
}
