// Temporary: gzip-or-plain detection until src/archive exports decompress().
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export function decompress(source: Readable): Readable {
  const out = new PassThrough();
  source.once('readable', () => {
    const head = source.read(2) as Buffer | null;
    if (head) source.unshift(head);
    const s = head && head[0] === 0x1f && head[1] === 0x8b ? source.pipe(createGunzip()) : source;
    s.on('error', (e) => out.destroy(e));
    s.pipe(out);
  });
  source.on('error', (e) => out.destroy(e));
  return out;
}
