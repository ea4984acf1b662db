// Splits a Containerfile into instructions: parser directives (escape, syntax), comments,
// line continuations and heredocs, keeping each instruction's file and line for errors.
import { invalidArgument } from '../../internal/errors.js';

export interface Heredoc {
  /** The terminating word ("EOF"). */
  name: string;
  content: string;
  /** Unquoted marker: variables in the body are expanded (COPY/ADD). */
  expand: boolean;
  /** `<<-`: leading tabs stripped from each body line. */
  chomp: boolean;
}

export interface RawInstruction {
  /** Lower-case keyword: "from", "run", ... */
  keyword: string;
  /** The keyword as written. */
  original: string;
  /** Everything after the keyword, continuations joined, trimmed. */
  rest: string;
  heredocs: Heredoc[];
  file: string;
  /** First and last line (1-based). */
  line: number;
  endLine: number;
}

export interface ParsedFile {
  directives: Record<string, string>;
  escapeChar: string;
  instructions: RawInstruction[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);
const HEREDOC = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/** An error that names the file and line: "Containerfile:3: cannot parse ...". */
export function parseError(file: string, line: number, message: string): Error {
  return invalidArgument(`${file}:${line}: ${message}`, { detail: { file, line } });
}

export function lexContainerfile(text: string, file = 'Containerfile'): ParsedFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (key in directives) throw parseError(file, i + 1, `only one ${key} parser directive can be used`);
    directives[key] = m[2];
  }
  const escapeChar = directives.escape ?? '\\';
  if (escapeChar !== '\\' && escapeChar !== '`') throw parseError(file, i, `invalid escape token '${escapeChar}' does not match ${'`'} or \\`);
  const instructions: RawInstruction[] = [];
  const isComment = (l: string) => /^\s*#/.test(l);
  const continues = (l: string) => {
    // docker's rule: the escape character, then only blanks, to the end of the line.
    return l.replace(/[ \t]+$/, '').endsWith(escapeChar);
  };
  while (i < lines.length) {
    const first = lines[i];
    if (first.trim() === '' || isComment(first)) {
      i++;
      continue;
    }
    const start = i;
    let joined = '';
    let line = first;
    for (;;) {
      if (continues(line)) {
        joined += line.replace(/\s+$/, '').slice(0, -1);
        i++;
        // Comment lines and empty lines inside a continuation are dropped, as docker does.
        while (i < lines.length && (isComment(lines[i]) || lines[i].trim() === '')) i++;
        if (i >= lines.length) break;
        line = lines[i];
        continue;
      }
      joined += line;
      i++;
      break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(joined)!;
    const keyword = m[1].toLowerCase();
    const rest = m[2].trim();
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KEYWORDS.has(keyword) || (keyword === 'onbuild' && /^(run|copy|add)\b/i.test(rest))) {
      for (const h of rest.matchAll(HEREDOC)) {
        const chomp = h[1] === '-';
        const name = h[3];
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          const l = lines[i++];
          const cmp = chomp ? l.replace(/^\t+/, '') : l;
          if (cmp === name) {
            closed = true;
            break;
          }
          body.push(chomp ? l.replace(/^\t+/, '') : l);
        }
        if (!closed) throw parseError(file, start + 1, `unterminated heredoc <<${name}: no line "${name}" before the end of the file`);
        heredocs.push({ name, content: body.length ? `${body.join('\n')}\n` : '', expand: h[2] === '', chomp });
      }
    }
    instructions.push({ keyword, original: m[1], rest, heredocs, file, line: start + 1, endLine: i });
  }
  return { directives, escapeChar, instructions };
}
