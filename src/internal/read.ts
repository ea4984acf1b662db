// Reading a small local file in one direct call: by path where its absence is an answer, not
// an error; by fd from its start (what a child wrote into a file it was given).
import { fstatSync, readFileSync, readSync } from 'node:fs';

/** The file's text, or `fallback` when it cannot be read (missing, say): a runtime's log, /etc files. */
export function readTextOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * The whole content of an open file, from its start whatever its offset (pread): what a child
 * wrote into an anonymous file (sys.memfd) it was given as stdout or stderr.
 */
export function readFdText(fd: number): string {
  const size = fstatSync(fd).size;
  if (size === 0) return '';
  const buf = Buffer.allocUnsafe(size);
  const n = readSync(fd, buf, 0, size, 0);
  return buf.toString('utf8', 0, n);
}
