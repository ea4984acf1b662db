// berth rmi: docker's rules on top of the store's removal. A name only untags (unless it is the
// image's last); an ID of an image that several repositories name needs --force.
import { failedPrecondition } from '../../internal/errors.js';
import { familiarText } from '../../reference/index.js';
import { recordEvent } from '../events.js';
import { repoOf } from '../../store/index.js';
import { normalizeName, type RemoveResult, type Store } from '../../store/store.js';

export async function removeImage(store: Store, query: string, options: { force?: boolean; prune?: boolean } = {}): Promise<RemoveResult> {
  const rec = await store.resolveImage(query);
  const byName = rec.names.includes(query) || rec.names.includes(normalizeName(query) ?? '');
  if (!byName && !options.force && new Set(rec.names.map(repoOf)).size > 1) {
    throw failedPrecondition(`conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
  }
  const result = await store.removeImage(query, options);
  for (const name of result.untagged) recordEvent(store.layout.runroot, 'image', 'untag', rec.id, { name: familiarText(name) });
  for (const id of result.deleted) recordEvent(store.layout.runroot, 'image', 'delete', id, { name: id });
  return result;
}

/** docker tag: one more name for a stored image. */
export async function tagImage(store: Store, source: string, name: string): Promise<void> {
  const rec = await store.tag(source, name);
  recordEvent(store.layout.runroot, 'image', 'tag', rec.id, { name: familiarText(name) });
}

/** One name less (podman untag). */
export async function untagImage(store: Store, name: string): Promise<void> {
  const rec = await store.untag(name);
  recordEvent(store.layout.runroot, 'image', 'untag', rec.id, { name: familiarText(name) });
}
