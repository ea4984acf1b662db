// A subset of Go's text/template, as docker's --format uses it: a lexer and parser to a tree,
// then an evaluator over plain JS values (objects stand for Go maps, arrays for slices, a JS
// function on the data for a method such as {{.Label "k"}}), or over values that carry a Go
// type (go-types.ts: structs, typed maps and slices, nil pointers), walked as Go's reflection
// walks them. Functions are Go's builtins plus docker's cli/templates ones (json, split, join,
// title, lower, upper, pad, truncate).
// Errors carry Go's words: "template: :1: unexpected {{end}}".

import { fieldByJSONKey, fieldValue, findField, GoBox, GoNil, type GoType, goTypeOf, goTypeString, structOf, typed } from './go-types.js';
import { evalArgs, goTypeName, isMap, isString, isStruct, show, showInner, sortedKeys, sprint, sprintf, truth } from './template-fmt.js';

export class TemplateError extends Error {}

type Value = unknown;

// ---------- lexer ----------

type TokKind = 'field' | 'var' | 'dot' | 'ident' | 'string' | 'number' | 'char' | 'bool' | 'nil' | 'lparen' | 'rparen' | 'pipe' | 'declare' | 'assign' | 'comma';
interface Tok {
  kind: TokKind;
  text: string;
  pos: number;
}
type Piece = { text: string; pos: number } | { toks: Tok[]; pos: number; end: number } | { comment: true };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') n++;
  return n;
}

function parseError(src: string, pos: number, msg: string): TemplateError {
  return new TemplateError(`template: :${lineOf(src, pos)}: ${msg}`);
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Splits the source into text and actions (each action's tokens), applying {{- and -}} trims. */
function lex(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  for (;;) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open === -1 ? undefined : open);
    const leftTrim = open !== -1 && src[open + 2] === '-' && isSpace(src[open + 3]);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (leftTrim) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) pieces.push({ text, pos: i });
    if (open === -1) return pieces;
    let j = open + 2 + (leftTrim ? 2 : 0);
    // A comment: {{/* ... */}}, its trims outside it.
    let k = j;
    while (isSpace(src[k])) k++;
    if (src.startsWith('/*', k)) {
      const endC = src.indexOf('*/', k + 2);
      if (endC === -1) throw parseError(src, open, 'unclosed comment');
      let m = endC + 2;
      while (isSpace(src[m])) m++;
      trimNext = false;
      if (src[m] === '-' && isSpace(src[m - 1]) && src.startsWith('}}', m + 1)) {
        trimNext = true;
        m++;
      }
      if (!src.startsWith('}}', m)) throw parseError(src, open, 'comment ends before closing delimiter');
      pieces.push({ comment: true });
      i = m + 2;
      continue;
    }
    const toks: Tok[] = [];
    trimNext = false;
    for (;;) {
      const c = src[j];
      if (c === undefined) throw parseError(src, open, 'unclosed action');
      if (src.startsWith('}}', j)) break;
      if (c === '-' && isSpace(src[j - 1]) && src.startsWith('}}', j + 1)) {
        trimNext = true;
        j++;
        break;
      }
      if (isSpace(c)) {
        j++;
        continue;
      }
      const start = j;
      const push = (kind: TokKind, end: number) => {
        toks.push({ kind, text: src.slice(start, end), pos: start });
        j = end;
      };
      if (c === '(') push('lparen', j + 1);
      else if (c === ')') push('rparen', j + 1); else if (c === '|') push('pipe', j + 1);
      else if (c === ',') push('comma', j + 1);
      else if (c === ':' && src[j + 1] === '=') push('declare', j + 2);
      else if (c === '=') push('assign', j + 1);
      else if (c === '"') {
        let e = j + 1;
        while (src[e] !== '"') {
          if (src[e] === undefined || src[e] === '\n') throw parseError(src, start, 'unterminated quoted string');
          e += src[e] === '\\' ? 2 : 1;
        }
        push('string', e + 1);
      } else if (c === '`') {
        const e = src.indexOf('`', j + 1);
        if (e === -1) throw parseError(src, start, 'unterminated raw quoted string');
        push('string', e + 1);
      } else if (c === "'") {
        let e = j + 1;
        while (src[e] !== "'") {
          if (src[e] === undefined || src[e] === '\n') throw parseError(src, start, 'unterminated character constant');
          e += src[e] === '\\' ? 2 : 1;
        }
        push('char', e + 1);
      } else if (c === '.' && !/[0-9]/.test(src[j + 1] ?? '')) {
        const m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(j));
        push(m ? 'field' : 'dot', m ? j + m[0].length : j + 1);
      } else if (c === '$') {
        const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(j)) as RegExpExecArray;
        push('var', j + m[0].length);
      } else if (/[0-9+\-.]/.test(c)) {
        const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(j));
        if (!m || m[0] === '' || m[0] === '+' || m[0] === '-' || m[0] === '.') throw parseError(src, start, `unexpected "${c}" in command`);
        push('number', j + m[0].length);
      } else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(j)) as RegExpExecArray;
        const w = m[0];
        push(w === 'true' || w === 'false' ? 'bool' : w === 'nil' ? 'nil' : 'ident', j + w.length);
      } else throw parseError(src, start, `unrecognized character in action: ${JSON.stringify(c)}`);
      // A field chain right after a term: (x).Field, $x.Field.
      const last = toks[toks.length - 1];
      if ((last.kind === 'rparen' || last.kind === 'var') && src[j] === '.' && /[A-Za-z_]/.test(src[j + 1] ?? '')) {
        const m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(j)) as RegExpExecArray;
        toks.push({ kind: 'field', text: m[0], pos: j });
        (toks[toks.length - 1] as Tok & { chained?: boolean }).chained = true;
        j += m[0].length;
      }
    }
    pieces.push({ toks, pos: open, end: j + 2 });
    i = j + 2;
  }
}

// ---------- tree ----------

type Operand =
  | { t: 'dot' }
  | { t: 'nil' }
  | { t: 'lit'; v: Value }
  /** `pos`: where Go places the node, the chain's second field for .A.B (its errors' column). */
  | { t: 'field'; path: string[]; pos: number }
  | { t: 'var'; name: string; path: string[] }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipeline; path: string[] };
interface Command {
  args: Operand[];
  pos: number;
  src: string;
}
interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}
type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipeline }
  | { t: 'if' | 'with'; pipe: Pipeline; list: Node[]; elseList: Node[] | undefined }
  | { t: 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] | undefined }
  | { t: 'break' }
  | { t: 'continue' };

export interface Template {
  root: Node[];
  src: string;
}

class Parser {
  private i = 0;
  private toks: Tok[] = [];
  private vars: string[][] = [['$']];
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly pieces: Piece[],
    private readonly funcs: Record<string, unknown>,
  ) {}

  private k = 0;

  parse(): Node[] {
    const { list, stop } = this.list();
    if (stop) throw parseError(this.src, stop.pos, `unexpected ${stop.word === 'end' ? '{{end}}' : '{{else}}'}`);
    return list;
  }

  private err(pos: number, msg: string): TemplateError {
    return parseError(this.src, pos, msg);
  }

  /** Nodes up to an {{end}} or {{else ...}} (returned as `stop`), or the end of the source. */
  private list(): { list: Node[]; stop?: { word: string; pos: number; toks: Tok[] } } {
    const list: Node[] = [];
    while (this.k < this.pieces.length) {
      const p = this.pieces[this.k++];
      if ('comment' in p) continue;
      if ('text' in p) {
        list.push({ t: 'text', text: p.text });
        continue;
      }
      this.toks = p.toks;
      this.i = 0;
      const first = this.toks[0];
      if (first?.kind === 'ident' && KEYWORDS.has(first.text)) {
        const word = first.text;
        this.i = 1;
        if (word === 'end' || word === 'else') {
          if (word === 'end' && this.toks.length > 1) throw this.err(this.toks[1].pos, `unexpected ${this.describe(this.toks[1])} in end`);
          return { list, stop: { word, pos: p.pos, toks: this.toks } };
        }
        if (word === 'if' || word === 'with' || word === 'range') {
          list.push(this.control(word, p.pos));
          continue;
        }
        if (word === 'break' || word === 'continue') {
          if (this.rangeDepth === 0) throw this.err(p.pos, `{{${word}}} outside {{range}}`);
          if (this.toks.length > 1) throw this.err(this.toks[1].pos, `unexpected ${this.describe(this.toks[1])} in {{${word}}}`);
          list.push({ t: word });
          continue;
        }
        throw this.err(p.pos, `{{${word}}} is not supported`);
      }
      const pipe = this.pipeline('command', false);
      list.push({ t: 'action', pipe });
    }
    return { list };
  }

  private control(word: 'if' | 'with' | 'range', pos: number): Node {
    this.vars.push([]);
    const pipe = this.pipeline(word, word === 'range');
    if (word === 'range') this.rangeDepth++;
    const body = this.list();
    if (word === 'range') this.rangeDepth--;
    if (!body.stop) throw this.err(pos, 'unexpected EOF');
    let elseList: Node[] | undefined;
    if (body.stop.word === 'else') {
      const toks = body.stop.toks;
      if (toks.length > 1 && toks[1].kind === 'ident' && (toks[1].text === 'if' || toks[1].text === 'with') && word !== 'range') {
        // {{else if ...}} / {{else with ...}}: a nested block that shares this one's {{end}}.
        this.toks = toks;
        this.i = 2;
        elseList = [this.control(toks[1].text as 'if' | 'with', body.stop.pos)];
        this.vars.pop();
        return { t: word, pipe, list: body.list, elseList } as Node;
      }
      if (toks.length > 1) throw this.err(toks[1].pos, `unexpected ${this.describe(toks[1])} in else`);
      this.vars.push([]);
      const rest = this.list();
      this.vars.pop();
      if (!rest.stop) throw this.err(pos, 'unexpected EOF');
      if (rest.stop.word !== 'end') throw this.err(rest.stop.pos, 'expected end; found {{else}}');
      elseList = rest.list;
    }
    this.vars.pop();
    return { t: word, pipe, list: body.list, elseList } as Node;
  }

  private describe(t: Tok | undefined): string {
    if (!t) return 'EOF';
    return t.kind === 'string' || t.kind === 'ident' || t.kind === 'field' || t.kind === 'var' || t.kind === 'number' ? `<${t.text}>` : JSON.stringify(t.text);
  }

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }

  private hasVar(name: string): boolean {
    return this.vars.some((s) => s.includes(name));
  }

  private pipeline(context: string, isRange: boolean, inParens = false): Pipeline {
    const decl: string[] = [];
    let assign = false;
    // $x := ..., $x = ..., and in range $i, $v := ...
    if (this.peek()?.kind === 'var') {
      const a = this.peek(1);
      const b = this.peek(2);
      if (a?.kind === 'declare' || a?.kind === 'assign') {
        decl.push((this.peek() as Tok).text);
        assign = a.kind === 'assign';
        this.i += 2;
      } else if (a?.kind === 'comma' && isRange && b?.kind === 'var' && (this.peek(3)?.kind === 'declare' || this.peek(3)?.kind === 'assign')) {
        decl.push((this.peek() as Tok).text, b.text);
        assign = this.peek(3)?.kind === 'assign';
        this.i += 4;
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind === 'rparen') {
        if (t?.kind === 'rparen' && !inParens) throw this.err(t.pos, 'unexpected right paren');
        break;
      }
      if (t.kind === 'pipe') throw this.err(t.pos, 'missing command before |');
      cmds.push(this.command());
      const n = this.peek();
      if (n?.kind === 'pipe') {
        this.i++;
        if (this.peek() === undefined || this.peek()?.kind === 'rparen') throw this.err(n.pos, 'missing command after |');
      }
    }
    if (cmds.length === 0) throw this.err(this.toks[0]?.pos ?? 0, `missing value for ${context}`);
    for (const [i, c] of cmds.entries()) {
      if (i > 0 && c.args[0].t !== 'ident' && c.args[0].t !== 'field' && !(c.args[0].t === 'var' && c.args[0].path.length) && !(c.args[0].t === 'pipe' && c.args[0].path.length)) {
        throw this.err(c.pos, `non executable command in pipeline stage ${i + 1}`);
      }
    }
    for (const name of decl) {
      if (assign) {
        if (!this.hasVar(name)) throw this.err(this.toks[0].pos, `undefined variable "${name}"`);
      } else this.vars[this.vars.length - 1].push(name);
    }
    return { decl, assign, cmds };
  }

  private command(): Command {
    const args: Operand[] = [];
    const start = this.peek() as Tok;
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind === 'pipe' || t.kind === 'rparen') break;
      if (t.kind === 'comma' || t.kind === 'declare' || t.kind === 'assign') throw this.err(t.pos, `unexpected ${JSON.stringify(t.text)} in operand`);
      args.push(this.operand());
    }
    const endTok = this.toks[this.i - 1];
    return { args, pos: start.pos, src: this.src.slice(start.pos, endTok.pos + endTok.text.length) };
  }

  private operand(): Operand {
    const t = this.toks[this.i++];
    const chain = (): string[] => {
      const n = this.peek() as (Tok & { chained?: boolean }) | undefined;
      if (n?.kind === 'field' && n.chained) {
        this.i++;
        return n.text.slice(1).split('.');
      }
      return [];
    };
    switch (t.kind) {
      case 'dot':
        return { t: 'dot' };
      case 'nil':
        return { t: 'nil' };
      case 'bool':
        return { t: 'lit', v: t.text === 'true' };
      case 'string':
        return { t: 'lit', v: unquote(t.text, this.src, t.pos) };
      case 'char': {
        const s = unquote(`"${t.text.slice(1, -1).replace(/"/g, '\\"')}"`, this.src, t.pos);
        return { t: 'lit', v: s.codePointAt(0) ?? 0 };
      }
      case 'number': {
        const n = Number(t.text.replace(/_/g, ''));
        if (!Number.isFinite(n)) throw this.err(t.pos, `illegal number syntax: ${JSON.stringify(t.text)}`);
        return { t: 'lit', v: n };
      }
      case 'field': {
        const path = t.text.slice(1).split('.');
        return { t: 'field', path, pos: t.pos + (path.length > 1 ? path[0].length + 1 : 0) };
      }
      case 'var':
        if (!this.hasVar(t.text)) throw this.err(t.pos, `undefined variable "${t.text}"`);
        return { t: 'var', name: t.text, path: chain() };
      case 'ident':
        if (KEYWORDS.has(t.text)) throw this.err(t.pos, `unexpected <${t.text}> in command`);
        if (!Object.hasOwn(this.funcs, t.text)) throw this.err(t.pos, `function "${t.text}" not defined`);
        return { t: 'ident', name: t.text };
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', false, true);
        const close = this.toks[this.i++];
        if (close?.kind !== 'rparen') throw this.err(t.pos, 'unclosed left paren');
        return { t: 'pipe', pipe, path: chain() };
      }
      default:
        throw this.err(t.pos, `unexpected ${JSON.stringify(t.text)} in operand`);
    }
  }
}

function unquote(text: string, src: string, pos: number): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (e in simple) out += simple[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw parseError(src, pos, `invalid syntax`);
      out += e === 'x' ? String.fromCharCode(Number.parseInt(hex, 16)) : String.fromCodePoint(Number.parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(e ?? '')) {
      out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw parseError(src, pos, 'invalid syntax');
  }
  return out;
}

// ---------- functions ----------

type Fn = (...args: Value[]) => Value;

function basicKind(v: Value): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === undefined || v === null) return 'nil';
  return 'other';
}

function compare(fn: string, a: Value, b: Value): number {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'other' || kb === 'other') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (ka === 'bool' || ka === 'nil') {
    if (fn !== 'eq') throw new Error('invalid type for comparison');
    return a === b ? 0 : 1;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function str(v: Value): string {
  return isString(v) ? v : show(v);
}

function toInt(v: Value, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`cannot index slice/array with type ${goTypeName(v)}`.replace('index slice/array', what));
  return v;
}

/** An element of a typed slice or map as its element type (a plain value as is). */
function elementOf(t: GoType | undefined, x: Value): Value {
  return t?.kind === 'slice' || t?.kind === 'array' || t?.kind === 'map' ? typed(x, t.elem) : x;
}

function isTitleSeparator(c: string): boolean {
  if (/[A-Za-z0-9_]/.test(c)) return false;
  if (c.charCodeAt(0) < 0x80) return true;
  return /\s/u.test(c);
}

/**
 * A value as Go's encoding/json orders it: a map's keys sorted, a struct's fields in their order.
 * A value with a Go type says which it is, and its parts take their types from it (a struct's
 * Labels is a map whatever its keys). A plain object does not say: one whose keys are all
 * exported Go names ("Running", "ExitCode") is taken as a struct, any other ("com.example", "a")
 * as a map.
 */
export function goJSON(v: Value, t: GoType | undefined = goTypeOf(v)): Value {
  if (v instanceof GoBox) return v.toJSON();
  if (Array.isArray(v)) return v.map((x) => goJSON(x, t?.kind === 'slice' || t?.kind === 'array' ? t.elem : undefined));
  if (!(isMap(v) || isStruct(v)) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  const o = v as Record<string, Value>;
  const keys = Object.keys(o).filter((k) => typeof o[k] !== 'function' && o[k] !== undefined);
  const st = structOf(t);
  if (t?.kind === 'map') return Object.fromEntries(sortedKeys(o).filter((k) => o[k] !== undefined).map((k) => [k, goJSON(o[k], t.elem)]));
  if (st?.jsonAsMap) return Object.fromEntries(sortedKeys(o).filter((k) => o[k] !== undefined).map((k) => [k, goJSON(o[k], undefined)]));
  if (st) return Object.fromEntries(keys.map((k) => [k, goJSON(o[k], fieldByJSONKey(st, k)?.type)]));
  const struct = keys.every((k) => /^[A-Z][A-Za-z0-9_]*$/.test(k));
  return Object.fromEntries((struct ? keys : sortedKeys(o).filter((k) => o[k] !== undefined)).map((k) => [k, goJSON(o[k], undefined)]));
}

/**
 * JSON text as Go writes it: U+2028 and U+2029 always escaped; <, > and & too with `escapeHTML`,
 * as json.Marshal does. docker's {{json}} encodes without that escaping, but its formatter
 * contexts (the rows of ps, images...) marshal themselves with json.Marshal, so a row's JSON
 * has it ("Digest":"\u003cnone\u003e") and an inspect document's has not.
 */
export function goMarshal(v: Value, escapeHTML = false): string {
  return JSON.stringify(v).replace(escapeHTML ? /[<>&\u2028\u2029]/g : /[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's functions and docker's (cli/templates); `and`/`or` are evaluated lazily by the evaluator. */
export const FUNCTIONS: Record<string, Fn> = {
  and: (...a) => a.find((x) => !truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truth(x)) ?? a[a.length - 1],
  not: (a) => !truth(a),
  len: (a) => {
    if (isString(a)) return Buffer.byteLength(a);
    if (a instanceof GoNil) {
      if (a.type.kind === 'ptr') throw new Error('len of nil pointer');
      return 0;
    }
    const t = goTypeOf(a);
    if (isStruct(a) && t) throw new Error(`len of type ${goTypeString(t.kind === 'ptr' ? t.elem : t)}`);
    if (Array.isArray(a)) return a.length;
    if (isMap(a)) return sortedKeys(a).length;
    throw new Error(`len of ${a === undefined || a === null ? 'nil pointer' : `type ${goTypeName(a)}`}`);
  },
  index: (item, ...keys) => {
    let cur = item;
    for (const k of keys) {
      if (cur === undefined || cur === null) return undefined;
      const t = goTypeOf(cur);
      if (cur instanceof GoNil && t?.kind === 'ptr') throw new Error('index of nil pointer');
      if (Array.isArray(cur) || isString(cur) || (cur instanceof GoNil && t?.kind === 'slice')) {
        const list = cur instanceof GoNil ? [] : cur;
        const i = toInt(k, 'index slice/array');
        if (i < 0 || i >= (isString(list) ? Buffer.byteLength(list) : list.length)) throw new Error(`index out of range: ${i}`);
        cur = isString(list) ? Buffer.from(list)[i] : elementOf(t, list[i]);
      } else if (isMap(cur) || (cur instanceof GoNil && t?.kind === 'map')) {
        const key = t?.kind === 'map' ? t.key : 'string';
        if (!isString(k) || key !== 'string') throw new Error(`value has type ${goTypeName(k)}; should be ${key}`);
        // A typed map gives its element type's zero value for a missing key, as Go's index does.
        const m = cur as Record<string, Value>;
        cur = !(cur instanceof GoNil) && Object.hasOwn(m, k) ? elementOf(t, m[k]) : t ? elementOf(t, undefined) : undefined;
      } else throw new Error(`can't index item of type ${goTypeName(cur)}`);
    }
    return cur;
  },
  slice: (item, ...idx) => {
    if (!isString(item) && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeName(item)}`);
    if (idx.length > 2 && isString(item)) throw new Error('cannot 3-index slice a string');
    const len = isString(item) ? Buffer.byteLength(item) : item.length;
    const ix = idx.map((i) => toInt(i, 'slice'));
    const lo = ix[0] ?? 0;
    const hi = ix[1] ?? len;
    if (lo < 0 || hi < lo || hi > len) throw new Error(`index out of range: ${hi > len ? hi : lo}`);
    return isString(item) ? Buffer.from(item).subarray(lo, hi).toString() : item.slice(lo, hi);
  },
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new Error('missing argument for comparison');
    return bs.some((b) => compare('eq', a, b) === 0);
  },
  ne: (a, b) => compare('eq', a, b) !== 0,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  print: (...a) => sprint(a),
  printf: (f, ...a) => sprintf(str(f), a),
  println: (...a) => `${a.map(showInner).join(' ')}\n`,
  html: (...a) =>
    evalArgs(a).replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c] as string),
  js: (...a) =>
    evalArgs(a).replace(/[\\'"<>&=\x00-\x1f]/g, (c) =>
      c === '\\' || c === "'" || c === '"' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
    ),
  urlquery: (...a) => encodeURIComponent(evalArgs(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  // docker's cli/templates
  json: (v) => goMarshal(goJSON(v) ?? null, structOf(goTypeOf(v))?.jsonAsMap === true),
  split: (s, sep) => {
    const t = str(s);
    const p = str(sep);
    return p === '' ? [...t] : t.split(p);
  },
  join: (a, sep) => ((a instanceof GoNil ? [] : (a as Value[] | undefined)) ?? []).map(str).join(str(sep ?? '')),
  title: (s) => {
    let prev = ' ';
    let out = '';
    for (const c of str(s)) {
      out += isTitleSeparator(prev) ? c.toUpperCase() : c;
      prev = c;
    }
    return out;
  },
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  pad: (s, pre, post) => (str(s) === '' ? '' : ' '.repeat(Number(pre)) + str(s) + ' '.repeat(Number(post))),
  truncate: (s, n) => {
    const t = str(s);
    return t.length < Number(n) ? t : t.slice(0, Number(n));
  },
};

/** How many arguments a function takes, [least, most] (Go checks them when it calls one). */
const ARITY: Record<string, [number, number]> = Object.fromEntries(
  Object.entries({ not: 1, len: 1, ne: 2, lt: 2, le: 2, gt: 2, ge: 2, json: 1, split: 2, join: 2, title: 1, lower: 1, upper: 1, pad: 3, truncate: 2 })
    .map(([f, n]) => [f, [n, n]] as [string, [number, number]])
    .concat([
      ['index', [1, Number.POSITIVE_INFINITY]],
      ['slice', [1, 4]],
      ['printf', [1, Number.POSITIVE_INFINITY]],
      ['eq', [1, Number.POSITIVE_INFINITY]],
    ]),
);

// ---------- evaluation ----------

class Stop {
  constructor(readonly kind: 'break' | 'continue') {}
}

interface Scope {
  vars: { name: string; value: Value }[];
}

/** How a run treats what is not there; Go's Option("missingkey=error") is `missingKey: 'error'`. */
export interface ExecuteOptions {
  /** On an error, give back what was printed before it instead of throwing. */
  partial?: boolean;
  missingKey?: 'default' | 'error';
  /**
   * The data is JSON decoded into Go's interface{} (docker's raw fallback): a value inside it is
   * an interface {} to Go, which names that type in its errors.
   */
  decodedJSON?: boolean;
}

class Exec {
  out = '';
  constructor(
    private readonly tpl: Template,
    private readonly funcs: Record<string, Fn>,
    private readonly missingKeyError = false,
    private readonly decodedJSON = false,
  ) {}

  /** Go's execution error: where (line:column) and at which node (`at`, else the command). */
  private fail(cmd: Command, msg: string, at = cmd.src, pos = cmd.pos): TemplateError {
    const before = this.tpl.src.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = pos - (nl + 1);
    const ctx = at.length > 20 ? `${at.slice(0, 20)}...` : at;
    return new TemplateError(`template: :${line}:${col}: executing "" at <${ctx}>: ${msg}`);
  }

  run(nodes: Node[], dot: Value, scope: Scope): void {
    const mark = scope.vars.length;
    try {
      for (const n of nodes) this.node(n, dot, scope);
    } finally {
      scope.vars.length = mark;
    }
  }

  private node(n: Node, dot: Value, scope: Scope): void {
    switch (n.t) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.pipeline(n.pipe, dot, scope);
        if (n.pipe.decl.length === 0) this.out += show(v);
        return;
      }
      case 'if':
      case 'with': {
        const mark = scope.vars.length;
        const v = this.pipeline(n.pipe, dot, scope);
        try {
          if (truth(v)) this.run(n.list, n.t === 'with' ? v : dot, scope);
          else if (n.elseList) this.run(n.elseList, dot, scope);
        } finally {
          scope.vars.length = mark;
        }
        return;
      }
      case 'range': {
        const mark = scope.vars.length;
        const v = this.pipeline({ ...n.pipe, decl: [] }, dot, scope);
        try {
          let entries: [Value, Value][];
          const t = goTypeOf(v);
          if (Array.isArray(v)) entries = v.map((x, i) => [i, elementOf(t, x)]);
          else if (isMap(v)) entries = sortedKeys(v).map((k) => [k, elementOf(t, v[k])]);
          else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
          else if (v === undefined || v === null || (v instanceof GoNil && t?.kind !== 'ptr')) entries = [];
          else throw this.fail(n.pipe.cmds[0], `range can't iterate over ${showInner(v)}`);
          if (entries.length === 0) {
            if (n.elseList) this.run(n.elseList, dot, scope);
            return;
          }
          for (const [k, x] of entries) {
            const decl = n.pipe.decl;
            const bind = (name: string, value: Value) => {
              if (n.pipe.assign) this.assign(scope, name, value);
              else scope.vars.push({ name, value });
            };
            const inner = scope.vars.length;
            if (decl.length === 1) bind(decl[0], x);
            else if (decl.length === 2) {
              bind(decl[0], k);
              bind(decl[1], x);
            }
            try {
              this.run(n.list, x, scope);
            } catch (e) {
              if (!(e instanceof Stop)) throw e;
              if (e.kind === 'break') break;
            } finally {
              scope.vars.length = inner;
            }
          }
        } finally {
          scope.vars.length = mark;
        }
        return;
      }
      case 'break':
      case 'continue':
        throw new Stop(n.t);
    }
  }

  private assign(scope: Scope, name: string, value: Value): void {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      if (scope.vars[i].name === name) {
        scope.vars[i].value = value;
        return;
      }
    }
  }

  private pipeline(p: Pipeline, dot: Value, scope: Scope): Value {
    let v: Value;
    let piped = false;
    for (const c of p.cmds) {
      v = this.command(c, dot, scope, piped ? [v] : []);
      piped = true;
    }
    for (const name of p.decl) {
      if (p.assign) this.assign(scope, name, v);
      else scope.vars.push({ name, value: v });
    }
    return v;
  }

  private variable(scope: Scope, name: string): Value {
    for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i].name === name) return scope.vars[i].value;
    return undefined;
  }

  /** Follows a field chain; the last field, if a method, is called with `args`. */
  private fields(c: Command, base: Value, path: string[], args: Value[] | undefined, at: string, pos?: number): Value {
    let cur = base;
    for (const [i, key] of path.entries()) {
      const lastKey = i === path.length - 1;
      if (cur === undefined || cur === null) {
        if ((lastKey && args?.length) || this.missingKeyError) throw this.fail(c, `nil pointer evaluating interface {}.${key}`, at, pos);
        return undefined;
      }
      const t = goTypeOf(cur);
      // A typed value's method (a formatter context's {{.Label "k"}}) is called as an untyped one's.
      if (t && typeof (cur as Record<string, Value>)[key] !== 'function') {
        cur = this.typedField(c, cur, t, key, at, lastKey && !!args?.length, pos);
        continue;
      }
      if (typeof cur !== 'object' || Array.isArray(cur)) {
        throw this.fail(c, `can't evaluate field ${key} in type ${this.decodedJSON ? 'interface {}' : goTypeName(cur)}`, at, pos);
      }
      const v = (cur as Record<string, Value>)[key];
      if (typeof v === 'function') {
        const call = lastKey ? (args ?? []) : [];
        try {
          cur = (v as Fn).call(cur, ...call);
        } catch (e) {
          throw this.fail(c, `error calling ${key}: ${(e as Error).message}`, at, pos);
        }
        if (lastKey) return cur;
        continue;
      }
      if (this.missingKeyError && !Object.hasOwn(cur as object, key)) throw this.fail(c, `map has no entry for key "${key}"`, at, pos);
      cur = Object.hasOwn(cur as object, key) ? v : undefined;
    }
    if (args?.length) throw this.fail(c, `${path[path.length - 1]} is not a method but has arguments`, at, pos);
    return cur;
  }

  /**
   * A field of a value with a Go type, as text/template's evalField: a struct's field (its zero
   * value when the JSON lacks it), a map's key (nothing when missing), else Go's error.
   */
  private typedField(c: Command, cur: Value, t: GoType, key: string, at: string, hasArgs: boolean, pos?: number): Value {
    const st = structOf(t);
    const field = st && findField(st, key);
    if (field && !(cur instanceof GoNil)) {
      if (hasArgs) throw this.fail(c, `${key} has arguments but cannot be invoked as function`, at, pos);
      return typed(fieldValue(cur, field), field.type);
    }
    if (t.kind === 'map' && t.key === 'string') {
      if (hasArgs) throw this.fail(c, `${key} is not a method but has arguments`, at, pos);
      const m = cur instanceof GoBox ? {} : (cur as Record<string, Value>);
      if (Object.hasOwn(m, key)) return typed(m[key], t.elem);
      if (this.missingKeyError) throw this.fail(c, `map has no entry for key "${key}"`, at, pos);
      return undefined;
    }
    if (cur instanceof GoNil && t.kind === 'ptr' && (field || !st)) throw this.fail(c, `nil pointer evaluating ${goTypeString(t)}.${key}`, at, pos);
    throw this.fail(c, `can't evaluate field ${key} in type ${goTypeString(t)}`, at, pos);
  }

  private arg(c: Command, o: Operand, dot: Value, scope: Scope): Value {
    switch (o.t) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'lit':
        return o.v;
      case 'field':
        return this.fields(c, dot, o.path, undefined, `.${o.path.join('.')}`, o.pos);
      case 'var':
        return this.fields(c, this.variable(scope, o.name), o.path, undefined, [o.name, ...o.path].join('.'));
      case 'pipe':
        return this.fields(c, this.pipeline(o.pipe, dot, scope), o.path, undefined, c.src);
      case 'ident':
        return this.call(c, o.name, [], dot, scope, []);
    }
  }

  private call(c: Command, name: string, ops: Operand[], dot: Value, scope: Scope, final: Value[]): Value {
    // and/or stop at the first argument that decides them, as Go's do.
    if (name === 'and' || name === 'or') {
      const all = [...ops.map((o) => () => this.arg(c, o, dot, scope)), ...final.map((v) => () => v)];
      if (all.length === 0) throw this.fail(c, `wrong number of args for ${name}: want at least 1 got 0`);
      let v: Value;
      for (const get of all) {
        v = get();
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const args = [...ops.map((o) => this.arg(c, o, dot, scope)), ...final];
    const arity = ARITY[name];
    if (arity && (args.length < arity[0] || args.length > arity[1])) {
      const want = arity[1] === Number.POSITIVE_INFINITY ? `at least ${arity[0]}` : String(arity[0]);
      throw this.fail(c, `wrong number of args for ${name}: want ${want} got ${args.length}`, name);
    }
    try {
      return this.funcs[name](...args);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw this.fail(c, `error calling ${name}: ${(e as Error).message}`);
    }
  }

  private command(c: Command, dot: Value, scope: Scope, final: Value[]): Value {
    const [first, ...rest] = c.args;
    const args = () => [...rest.map((o) => this.arg(c, o, dot, scope)), ...final];
    switch (first.t) {
      case 'ident':
        return this.call(c, first.name, rest, dot, scope, final);
      case 'field':
        return this.fields(c, dot, first.path, args(), `.${first.path.join('.')}`, first.pos);
      case 'var':
        if (first.path.length) return this.fields(c, this.variable(scope, first.name), first.path, args(), [first.name, ...first.path].join('.'));
        break;
      case 'pipe':
        if (first.path.length) return this.fields(c, this.pipeline(first.pipe, dot, scope), first.path, args(), c.src);
        break;
    }
    if (rest.length || final.length) throw this.fail(c, `can't give argument to non-function ${c.src.split(/\s/)[0]}`);
    return this.arg(c, first, dot, scope);
  }
}

/** Parses a template (Go's text/template syntax) with the given functions (Go's and docker's by default). */
export function parseTemplate(src: string, funcs: Record<string, unknown> = FUNCTIONS): Template {
  return { root: new Parser(src, lex(src), funcs).parse(), src };
}

/** Runs a parsed template over a value (with a Go type or plain). */
export function executeTemplate(tpl: Template, data: Value, funcs: Record<string, Fn> = FUNCTIONS, opts: ExecuteOptions = {}): string {
  const exec = new Exec(tpl, funcs, opts.missingKey === 'error', opts.decodedJSON);
  try {
    exec.run(tpl.root, data, { vars: [{ name: '$', value: data }] });
  } catch (e) {
    if (!opts.partial || !(e instanceof TemplateError)) throw e;
  }
  return exec.out;
}
