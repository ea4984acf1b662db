// The .containerignore / .dockerignore matcher with moby/patternmatcher's semantics: the
// last matching pattern wins, `!` re-includes, `**` spans directories, parents match too.
import * as path from 'node:path';
import { invalidArgument } from '../internal/errors.js';

interface Pattern {
  text: string;
  negate: boolean;
  regex: RegExp;
  /** Path components in the pattern, for matching a file's parent at the same depth. */
  depth: number;
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];
  /** Whether any `!` pattern exists: an excluded directory must then still be walked. */
  readonly hasExceptions: boolean;

  constructor(lines: string[]) {
    this.patterns = [];
    for (const raw of lines) {
      let text = raw.trim();
      if (text === '' || text.startsWith('#')) continue;
      let negate = false;
      if (text.startsWith('!')) {
        negate = true;
        text = text.slice(1).trim();
      }
      text = path.posix.normalize(text).replace(/(.)\/+$/, '$1');
      if (text.startsWith('/')) text = text.replace(/^\/+/, '');
      if (text === '' || text === '.') text = '.';
      this.patterns.push({ text, negate, regex: compile(text), depth: text.split('/').length });
    }
    this.hasExceptions = this.patterns.some((p) => p.negate);
  }

  /** Reads the file's text: one pattern a line. */
  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(text.split(/\r?\n/));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `rel` (slash-separated, relative to the context root) is excluded. */
  excluded(rel: string): boolean {
    const parts = rel.split('/');
    let excluded = false;
    for (const p of this.patterns) {
      if (p.negate !== excluded) continue; // cannot change the verdict
      let match = p.regex.test(rel);
      if (!match && parts.length > 1 && p.depth < parts.length) match = p.regex.test(parts.slice(0, p.depth).join('/'));
      if (!match && parts.length > 1) {
        // A pattern naming a parent directory (a/**, a) excludes everything below it.
        for (let i = 1; i < parts.length && !match; i++) match = p.regex.test(parts.slice(0, i).join('/'));
      }
      if (match) excluded = !p.negate;
    }
    return excluded;
  }
}

/** Pattern -> anchored regex: `**` any depth, `*` within a component, `?`, `[...]`, `\` escapes. */
function compile(pattern: string): RegExp {
  let re = '^';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        // "**/" also matches nothing; a trailing "**" matches everything below.
        if (chars[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = chars.indexOf(']', i + 1);
      if (end === -1) throw invalidArgument(`invalid ignore pattern "${pattern}": unterminated [`);
      let cls = chars.slice(i + 1, end).join('');
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\') {
      const n = chars[++i];
      if (n === undefined) throw invalidArgument(`invalid ignore pattern "${pattern}": ends in an escape`);
      re += escapeRe(n);
    } else re += escapeRe(ch);
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\/*?]/.test(ch) ? `\\${ch}` : ch;
}
