// Reading a small local file in one direct call, where its absence is an answer, not an error.
import { readFileSync } from 'node:fs';

/** The file's text, or `fallback` when it cannot be read (missing, say): a runtime's log, /etc files. */
export function readTextOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
