// What the prune verbs share (image, container, volume, system, builder prune): docker's
// confirmation prompt and the "Deleted ...:" sections.
import { readSync } from 'node:fs';
import type { PrunedImages } from '../engine/images/index.js';
import { familiarText } from '../reference/index.js';
import type { CliContext } from './main.js';

/**
 * Prints `question` and reads one line from stdin: true for "y" or "Y" alone, as docker's
 * prompt takes it; anything else, or no input at all (EOF, a closed stdin), is a no.
 */
export function confirm(ctx: CliContext, question: string): boolean {
  ctx.out(question);
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, one, 0, 1, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A non-blocking stdin with nothing yet: wait a moment and read again.
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF' || code === 'EBADF' || code === 'ENXIO') break;
      throw err;
    }
    if (n === 0 || one[0] === 0x0a) break;
    bytes.push(one[0]);
  }
  const answer = Buffer.from(bytes).toString('utf8').trim();
  return answer === 'y' || answer === 'Y';
}

/** docker's "Deleted Images:" section (per image its untagged names, then its ID; then the freed layers); "" when none. */
export function imagesSection(result: PrunedImages): string {
  const lines = [
    // docker's familiar names ("untagged: busybox:latest").
    ...result.removed.flatMap((r) => [...r.untagged.map((n) => `untagged: ${familiarText(n)}`), ...r.deleted.map((id) => `deleted: ${id}`)]),
    ...result.pruned.layers.map((l) => `deleted: ${l}`),
  ];
  return lines.length === 0 ? '' : `Deleted Images:\n${lines.map((l) => `${l}\n`).join('')}\n`;
}

/** docker's "Deleted Containers:" section; "" when none. */
export function containersSection(removed: { id: string }[]): string {
  return removed.length === 0 ? '' : `Deleted Containers:\n${removed.map((c) => `${c.id}\n`).join('')}\n`;
}

/** docker's "Deleted Volumes:" section; "" when none. */
export function volumesSection(removed: { name: string }[]): string {
  return removed.length === 0 ? '' : `Deleted Volumes:\n${removed.map((v) => `${v.name}\n`).join('')}\n`;
}

/** docker's "Deleted build cache objects:" section: the entries' keys, then the layers freed with them. */
export function cacheSection(keys: string[], layers: string[]): string {
  const lines = [...keys, ...layers];
  return lines.length === 0 ? '' : `Deleted build cache objects:\n${lines.map((l) => `${l}\n`).join('')}\n`;
}
