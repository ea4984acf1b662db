// Random bytes for names and ids, from the kernel's /dev/urandom: the same source as
// crypto.randomBytes, without loading node:crypto, which costs a CLI start ~2 ms (a
// `run --rm` that needs a container id and a few temp names would load it for nothing else).
import * as fs from 'node:fs';
import { internal } from './errors.js';

let urandom = -1;

/** `n` random bytes (blocking read; /dev/urandom never blocks once the kernel is seeded). */
export function randomBytes(n: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  if (urandom < 0) urandom = fs.openSync('/dev/urandom', 'r');
  for (let off = 0; off < n; ) {
    const got = fs.readSync(urandom, buf, off, n - off, null);
    if (got <= 0) throw internal('cannot read /dev/urandom: it ended');
    off += got;
  }
  return buf;
}

/** `n` random bytes as 2n hex digits. */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}
