// Variable expansion in Containerfile words, as docker's shell lexer does it: quotes
// removed, escapes honoured, $VAR ${VAR} ${VAR:-x} ${VAR-x} ${VAR:+x} ${VAR+x} ${VAR:?x}.
import { invalidArgument } from '../../internal/errors.js';

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

export interface LexOptions {
  /** The escape character ('\\' unless the escape directive says '`'). */
  escapeChar?: string;
  /** Quotes are ordinary characters (heredoc bodies): only variables and escapes are processed. */
  keepQuotes?: boolean;
}

/** Expands one word: quotes removed, variables substituted. Throws 'invalid-argument' on bad syntax. */
export function expandWord(word: string, lookup: Lookup, options: LexOptions = {}): string {
  return new WordLexer(word, lookup, options.escapeChar ?? '\\', options.keepQuotes ?? false).word();
}

/**
 * Expands and splits into words at unquoted white space (for EXPOSE, VOLUME, COPY sources
 * in shell form): quotes keep spaces in one word; a variable's value is not re-split.
 */
export function expandWords(text: string, lookup: Lookup, options: LexOptions = {}): string[] {
  return new WordLexer(text, lookup, options.escapeChar ?? '\\').words();
}

class WordLexer {
  private pos = 0;
  private readonly chars: string[];

  constructor(
    text: string,
    private readonly lookup: Lookup,
    private readonly escapeChar: string,
    private readonly keepQuotes = false,
  ) {
    this.chars = Array.from(text);
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }
  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  word(): string {
    return this.until(() => false);
  }

  words(): string[] {
    const out: string[] = [];
    for (;;) {
      while (this.peek() !== undefined && /\s/.test(this.peek()!)) this.pos++;
      if (this.peek() === undefined) return out;
      const start = this.pos;
      const w = this.until((ch) => /\s/.test(ch));
      // A word made only of empty quotes ("") is a word; an empty variable is none.
      if (w !== '' || this.chars.slice(start, this.pos).some((c) => c === '"' || c === "'")) out.push(w);
    }
  }

  /** Reads until `stop` says so (outside quotes) or the end; returns the processed text. */
  private until(stop: (ch: string) => boolean, inBraces = false): string {
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) return out;
      if (inBraces && ch === '}') return out;
      if (stop(ch)) return out;
      this.pos++;
      if (ch === this.escapeChar) {
        const n = this.next();
        if (n === undefined) continue;
        // In a heredoc body only "\$" and the escape character itself are escapes; the rest stays as written.
        if (this.keepQuotes && n !== '$' && n !== this.escapeChar) out += ch;
        out += n;
      } else if (this.keepQuotes && (ch === "'" || ch === '"')) out += ch;
      else if (ch === "'") out += this.singleQuoted();
      else if (ch === '"') out += this.doubleQuoted();
      else if (ch === '$') out += this.variable();
      else out += ch;
    }
  }

  private singleQuoted(): string {
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw invalidArgument('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw invalidArgument('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') return out;
      if (ch === '$') {
        out += this.variable();
        continue;
      }
      if (ch === this.escapeChar) {
        const n = this.peek();
        if (n === undefined) continue;
        if (n === '"' || n === '$' || n === this.escapeChar) {
          out += n;
          this.pos++;
          continue;
        }
      }
      out += ch;
    }
  }

  private variable(): string {
    const ch = this.peek();
    if (ch === '{') {
      this.pos++;
      return this.braced();
    }
    const name = this.name();
    if (name === '') return '$';
    return this.lookup(name) ?? '';
  }

  private name(): string {
    const first = this.peek();
    if (first === undefined) return '';
    if (/[0-9]/.test(first)) {
      this.pos++;
      return first;
    }
    let name = '';
    while (this.peek() !== undefined && /[A-Za-z0-9_]/.test(this.peek()!)) name += this.next();
    return name;
  }

  private braced(): string {
    const name = this.name();
    if (name === '') throw invalidArgument(`bad substitution: empty or invalid variable name in \${}`);
    const ch = this.next();
    if (ch === '}') return this.lookup(name) ?? '';
    if (ch === undefined) throw invalidArgument(`missing '}' in \${${name}`);
    let op = ch;
    if (op === ':') {
      const o = this.next();
      if (o === undefined) throw invalidArgument(`missing '}' in \${${name}:`);
      op += o;
    }
    if (!['-', ':-', '+', ':+', '?', ':?'].includes(op)) {
      throw invalidArgument(`unsupported modifier (${op}) in substitution \${${name}${op}...}`);
    }
    const word = this.until(() => false, true);
    if (this.next() !== '}') throw invalidArgument(`missing '}' in \${${name}${op}${word}`);
    const value = this.lookup(name);
    const colon = op.startsWith(':');
    const unset = value === undefined || (colon && value === '');
    switch (op.slice(-1)) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      default:
        if (unset) throw invalidArgument(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
    }
  }
}
