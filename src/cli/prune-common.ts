// What the prune verbs share: docker's "Deleted Containers:" and "Deleted Images:" sections.
import type { PrunedImages } from '../engine/images/index.js';
import type { CliContext } from './main.js';

/** docker's "Deleted Images:" section (per image its untagged names, then its ID; then the freed layers); "" when none. */
export function imagesSection(result: PrunedImages): string {
  const lines = [
    ...result.removed.flatMap((r) => [...r.untagged.map((n) => `untagged: ${n}`), ...r.deleted.map((id) => `deleted: ${id}`)]),
    ...result.pruned.layers.map((l) => `deleted: ${l}`),
  ];
  return lines.length === 0 ? '' : `Deleted Images:\n${lines.map((l) => `${l}\n`).join('')}\n`;
}

/** docker's "Deleted Containers:" section; "" when none. */
export function containersSection(removed: { id: string }[]): string {
  return removed.length === 0 ? '' : `Deleted Containers:\n${removed.map((c) => `${c.id}\n`).join('')}\n`;
}
