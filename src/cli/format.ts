// Output formatting shared by the image verbs: aligned tables (docker's tabwriter look), JSON,
// and Go templates ("table {{.Repository}}\t{{.Tag}}", "{{json .}}"; template.ts runs them), sizes and ages.
import { invalidArgument } from '../internal/errors.js';
import { executeTemplate, FUNCTIONS, goMarshal, parseTemplate, type Template, TemplateError } from './template.js';
import { INTERFACE, ptrTo, struct, withGoType } from './go-types.js';
import { sortedKeys } from './template-fmt.js';

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
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(minWidth, widths[i] + 3)))).join('')}\n`).join('');
}

/** docker's units.HumanSizeWithPrecision: decimal units, three significant digits by default ("1.24MB", "4.26kB"). */
export function humanSize(bytes: number, precision = 3): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(precision))}${units[i]}`;
}

/**
 * docker's units.HumanSize: four significant digits ("3.078kB"), where its tables' sizes have
 * three: a prune's "Total reclaimed space", images' VirtualSize, system df -v's shared and
 * unique sizes.
 */
export function unitsHumanSize(bytes: number): string {
  return humanSize(bytes, 4);
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

/** docker's HeaderFunctions: in a table's header line, its functions give back the header as is. */
const HEADER_FUNCTIONS: typeof FUNCTIONS = {
  ...FUNCTIONS,
  ...Object.fromEntries(['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate'].map((f) => [f, (v: Value) => v])),
};

/**
 * What a "table" template's header line renders over (docker's SubHeaderContext): each field is
 * its header (spec.headers, else the name in capitals); {{.Label "com.x.my-key"}} is "my key".
 */
function headerView(headers: Record<string, string>): Record<string, unknown> {
  const label = (key: string) => (key.split('.').pop() ?? '').replace(/[-_]/g, ' ');
  const get = (k: string | symbol): Value => (typeof k !== 'string' ? undefined : k === 'Label' ? label : (headers[k] ?? k.toUpperCase()));
  return new Proxy(
    {},
    {
      get: (_t, k) => get(k),
      getOwnPropertyDescriptor: (_t, k) => ({ configurable: true, enumerable: true, writable: false, value: get(k) }),
    },
  );
}

const PARSE_PREFIX = 'failed to parse template: ';
const parsed = new Map<string, Template>();

/** A template's tree (kept: a verb renders one template once a row); parse errors in docker's words. */
function parse(template: string): Template {
  try {
    return parseKept(template);
  } catch (e) {
    if (e instanceof TemplateError) throw invalidArgument(`${PARSE_PREFIX}${e.message}`);
    throw e;
  }
}

function parseKept(template: string): Template {
  let tpl = parsed.get(template);
  if (tpl) return tpl;
  tpl = parseTemplate(template);
  if (parsed.size > 64) parsed.clear();
  parsed.set(template, tpl);
  return tpl;
}

/** A --format's tree, "\t" and "\n" expanded; a TemplateError in Go's words if it does not parse. */
export function compileTemplate(template: string): Template {
  return parseKept(expandEscapes(template));
}

/** docker's "\t" and "\n" written as escapes in a --format become tab and newline. */
function expandEscapes(template: string): string {
  return template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/**
 * Parses a template without rendering it, as docker's CLI does before it lists anything: an
 * unclosed action or an unknown function is its error even when there is no row to render.
 */
export function checkTemplate(template: string): void {
  parse(expandEscapes(template));
}

/** Renders a Go template (src/cli/template.ts) over one value. */
export function renderTemplate(template: string, data: Value): string {
  const tpl = parse(expandEscapes(template));
  try {
    return executeTemplate(tpl, data);
  } catch (e) {
    if (e instanceof TemplateError) throw invalidArgument(e.message);
    throw e;
  }
}

export interface FormatSpec<T> {
  /** Columns of the default table: header and template field. */
  columns: { header: string; field: string }[];
  /** Headers for fields a user's "table ..." template names. */
  headers: Record<string, string>;
  /** The row as templates see it ({{.Repository}}). */
  view(row: T): Record<string, unknown>;
  /**
   * The Go type of docker's formatter context for such a row ("formatter.ContainerContext"):
   * a field it lacks is Go's "can't evaluate field X in type *NAME", and {{json .}} is its map.
   */
  context?: string;
}

/**
 * The rows' views as docker's formatter contexts: pointers to a struct of the views' fields
 * (their values as they are), which marshals as a map.
 */
function asContexts(name: string, views: Record<string, unknown>[]): Record<string, unknown>[] {
  const keys = new Set(views.flatMap((v) => Object.keys(v)));
  const type = ptrTo({ ...struct(name, Object.fromEntries([...keys].map((k) => [k, INTERFACE]))), jsonAsMap: true });
  return views.map((v) => withGoType(v, type));
}

/**
 * A row as docker's `--format json` prints it: one object a line, its keys in byte order (Go's
 * maps), the row's methods ({{.Label "k"}}) left out.
 */
export function jsonLine(view: Record<string, unknown>): string {
  return goMarshal(goMapOrder(view), true);
}

/** The view as a Go map prints: its keys in byte order, its methods left out. */
export function goMapOrder(view: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(sortedKeys(view).map((k) => [k, view[k]]));
}

/**
 * Prints rows as a table (default), JSON lines ("json", as docker's CLI), a template per row,
 * or "table <template>" with headers. `quiet` prints only `quietField`.
 */
export function formatRows<T>(rows: T[], spec: FormatSpec<T>, format: string | undefined): string {
  if (format !== undefined && format !== 'json') checkTemplate(format);
  const plain = rows.map((r) => spec.view(r));
  if (format === 'json') return plain.map((v) => `${jsonLine(v)}\n`).join('');
  const views = spec.context ? asContexts(spec.context, plain) : plain;
  const tableTemplate = (fields: string[]) => fields.map((f) => `{{${f}}}`).join('\t');
  if (format === undefined || format === '' || format === 'table') {
    const head = spec.columns.map((c) => c.header).join('\t');
    const tpl = tableTemplate(spec.columns.map((c) => c.field));
    return alignColumns([head, ...views.map((v) => renderTemplate(tpl, v))]);
  }
  if (format.startsWith('table ') || format.startsWith('table\t')) {
    const tpl = format.slice(6);
    // docker's header: the same template over each field's header, its functions handing the
    // header back unchanged (an error ends the header where it happened, as docker ignores it).
    const header = executeTemplate(parse(expandEscapes(tpl)), headerView(spec.headers), HEADER_FUNCTIONS, { partial: true });
    return alignColumns([header, ...views.map((v) => renderTemplate(tpl, v))]);
  }
  return views.map((v) => `${renderTemplate(format, v)}\n`).join('');
}
