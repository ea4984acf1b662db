// The values of berth's Go templates (template.ts) as Go prints them: fmt's %v (show), Go's
// truth, and fmt's Sprintf and Sprint, which printf, print, println and the escaping functions use.
// A value with a Go type (go-types.ts) prints as Go prints that type: structs as {v1 v2}, nil
// slices as [], nil maps as map[], nil pointers as <nil>.

import { formatGoDuration } from '../internal/go-duration.js';
import { fieldValue, GoBox, GoDuration, GoNil, GoTime, type GoType, goTimeText, goTypeOf, goTypeString, printedFields, typed } from './go-types.js';

type Value = unknown;

/** A Go map as templates see it: an object that is not a Go struct, pointer or box. */
export function isMap(v: Value): v is Record<string, Value> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof GoBox) return false;
  const t = goTypeOf(v);
  return t === undefined || t.kind === 'map';
}

/** A Go struct or non-nil pointer (to a struct) with its type. */
export function isStruct(v: Value): boolean {
  const k = goTypeOf(v)?.kind;
  return !(v instanceof GoBox) && (k === 'struct' || k === 'ptr');
}

/** An object's keys in byte order, as Go ranges and prints a map; its methods (functions) left out. */
export function sortedKeys(o: Record<string, Value>): string[] {
  return Object.keys(o)
    .filter((k) => typeof o[k] !== 'function')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (v instanceof GoNil) return false;
  if (v instanceof GoDuration) return v.ns !== 0;
  if (v instanceof GoBox || isStruct(v)) return true;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/**
 * fmt's %v (%g, shortest) of a float64: exponent form below 1e-4 or from 1e6 up (Go's
 * strconv rule), "1.5e-07", "1.2345675e+06". Integers print whole (docker's ints) unless `float`.
 */
function goFloat(v: number, float = false): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(v) && !float) return String(v);
  const [mant, e] = v.toExponential().split('e');
  const exp = Number(e);
  if (exp >= -4 && exp < 6) return String(v);
  return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** fmt's %v of a value inside another (nil is "<nil>"). */
export function showInner(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  const t = goTypeOf(v);
  if (t) return showTyped(v instanceof GoNil ? null : v instanceof GoBox ? v.toJSON() : v, t);
  if (Array.isArray(v)) return `[${v.map(showInner).join(' ')}]`;
  if (isMap(v)) return `map[${sortedKeys(v).map((k) => `${k}:${showInner(v[k])}`).join(' ')}]`;
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/**
 * A JSON value printed as fmt's %v prints its Go type `t`: a struct's fields in their order, an
 * embedded struct's as a nested {...}, null as the type's zero value. A pointer inside a printed
 * value prints as &{...} (or &value): Go prints its address, which would mean nothing here.
 */
export function showTyped(raw: Value, t: GoType): string {
  switch (t.kind) {
    case 'struct':
      return `{${printedFields(t, raw).map((f) => showTyped(fieldValue(raw, f), f.type)).join(' ')}}`;
    case 'ptr':
      return raw === null || raw === undefined ? '<nil>' : `&${showTyped(raw, t.elem)}`;
    case 'slice':
    case 'array': {
      const list = Array.isArray(raw) ? raw : t.kind === 'array' ? Array.from({ length: t.len }) : [];
      return `[${list.map((x) => showTyped(x, t.elem)).join(' ')}]`;
    }
    case 'map': {
      const o = isMap(raw) ? raw : {};
      return `map[${sortedKeys(o).map((k) => `${k}:${showTyped(o[k], t.elem)}`).join(' ')}]`;
    }
    case 'time':
      return goTimeText(typeof raw === 'string' ? raw : '0001-01-01T00:00:00Z');
    case 'duration':
      return formatGoDuration(typeof raw === 'number' ? raw : 0);
    case 'interface':
      return showInner(raw);
    default:
      return showInner(typed(raw, t));
  }
}

/**
 * What a template prints for a value: fmt's %v, "<no value>" for nil (a missing map key); a
 * pointer is followed first, as text/template does, so a *struct prints {...}.
 */
export function show(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  const t = goTypeOf(v);
  if (t?.kind === 'ptr' && !(v instanceof GoNil)) return showTyped(v, t.elem);
  return showInner(v);
}

export function isString(v: Value): v is string {
  return typeof v === 'string';
}

// ---------- fmt ----------

function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function goTypeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  const t = goTypeOf(v);
  if (t) return goTypeString(t);
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** One operand of Sprintf under its verb; slices and maps take the verb element by element, as fmt's. */
function fmtOne(verb: string, flags: string, width: number | undefined, prec: number | undefined, v: Value): string {
  if (verb !== 'T' && !(verb === 'v' && flags.includes('#'))) {
    if (Array.isArray(v)) return `[${v.map((x) => fmtOne(verb, flags, width, prec, x)).join(' ')}]`;
    if (isMap(v)) return `map[${sortedKeys(v).map((k) => `${fmtOne(verb, flags, width, prec, k)}:${fmtOne(verb, flags, width, prec, v[k])}`).join(' ')}]`;
    const t = goTypeOf(v);
    const st = t?.kind === 'struct' ? t : t?.kind === 'ptr' && !(v instanceof GoNil) && t.elem.kind === 'struct' ? t.elem : undefined;
    if (st) return `${st === t ? '' : '&'}{${printedFields(st, v).map((f) => fmtOne(verb, flags, width, prec, typed(fieldValue(v, f), f.type))).join(' ')}}`;
    if (v instanceof GoTime) return fmtOne(verb, flags, width, prec, goTimeText(v.text));
    if (v instanceof GoDuration) return fmtOne(verb, flags, width, prec, formatGoDuration(v.ns));
  }
  let s: string;
  const bad = () => (v === undefined || v === null ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(v)}=${showInner(v)})`);
  const num = (n: number, radix: number) => {
    let r = Math.abs(Math.trunc(n)).toString(radix);
    if (prec !== undefined) r = r.padStart(prec, '0');
    if (flags.includes('#') && radix === 16) r = `0x${r}`;
    return (n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + r;
  };
  switch (verb) {
    case 'v':
      s = verb === 'v' && flags.includes('#') && isString(v) ? goQuote(v) : showInner(v);
      break;
    case 's':
      s = isString(v) || typeof v !== 'number' ? showInner(v) : bad();
      if (prec !== undefined && isString(v)) s = [...s].slice(0, prec).join('');
      break;
    case 'q':
      s = isString(v) ? goQuote(v) : typeof v === 'number' && Number.isInteger(v) ? `'${String.fromCodePoint(v)}'` : bad();
      break;
    case 't':
      s = typeof v === 'boolean' ? String(v) : bad();
      break;
    case 'd':
      s = typeof v === 'number' && Number.isInteger(v) ? num(v, 10) : bad();
      break;
    case 'b':
    case 'o':
      s = typeof v === 'number' && Number.isInteger(v) ? num(v, verb === 'b' ? 2 : 8) : bad();
      break;
    case 'x':
    case 'X': {
      if (isString(v)) s = Buffer.from(v).toString('hex');
      else if (typeof v === 'number' && Number.isInteger(v)) s = num(v, 16);
      else s = bad();
      if (verb === 'X') s = s.toUpperCase();
      break;
    }
    case 'T':
      s = goTypeName(v);
      break;
    case 'U':
      s = typeof v === 'number' && Number.isInteger(v) ? `U+${v.toString(16).toUpperCase().padStart(4, '0')}` : bad();
      break;
    case 'c':
      s = typeof v === 'number' && Number.isInteger(v) ? String.fromCodePoint(v) : bad();
      break;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') {
        s = bad();
        break;
      }
      const lower = verb.toLowerCase();
      if (lower === 'f') s = v.toFixed(prec ?? 6);
      else if (lower === 'e') s = v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else s = prec === undefined ? goFloat(v, true) : goFloat(Number(v.toPrecision(prec || 1)), true);
      if (v >= 0 && flags.includes('+')) s = `+${s}`;
      if (verb === 'E' || verb === 'G') s = s.toUpperCase();
      break;
    }
    default:
      s = bad();
  }
  if (width !== undefined && s.length < width) {
    if (flags.includes('-')) s = s.padEnd(width);
    else if (flags.includes('0') && /[dxXobfFeEgG]/.test(verb) && typeof v === 'number') {
      const sign = /^[+\- ]/.test(s) ? s[0] : '';
      s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
    } else s = s.padStart(width);
  }
  return s;
}

/** fmt.Sprintf over the verbs templates use: %v %s %d %q %t %x %X %o %b %c %f %e %g %%, flags, width, precision. */
export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let a = 0;
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])?/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags, w, p, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    const width = w === '*' ? Number(args[a++]) : w ? Number(w) : undefined;
    const prec = p === undefined ? undefined : p === '*' ? Number(args[a++]) : Number(p || 0);
    if (a >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(verb, flags, width, prec, args[a++]);
  }
  out += format.slice(last);
  if (a < args.length) out += `%!(EXTRA ${args.slice(a).map((v) => `${goTypeName(v)}=${showInner(v)}`).join(', ')})`;
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: Value[]): string {
  let out = '';
  for (const [i, v] of args.entries()) {
    if (i > 0 && !isString(v) && !isString(args[i - 1])) out += ' ';
    out += showInner(v);
  }
  return out;
}

/** The text the escaping functions (html, js, urlquery) work on: one string argument as is, else fmt.Sprint. */
export function evalArgs(args: Value[]): string {
  return args.length === 1 && isString(args[0]) ? args[0] : sprint(args);
}
