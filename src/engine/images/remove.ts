// berth rmi: docker's rules on top of the store's removal. A name only untags (unless it is the
// image's last); an ID of an image that several repositories name needs --force.
import { failedPrecondition } from '../../internal/errors.js';
import { repoOf } from '../../store/index.js';
import { normalizeName, type RemoveResult, type Store } from '../../store/store.js';

export async function removeImage(store: Store, query: string, options: { force?: boolean; prune?: boolean } = {}): Promise<RemoveResult> {
  const rec = await store.resolveImage(query);
  const byName = rec.names.includes(query) || rec.names.includes(normalizeName(query) ?? '');
  if (!byName && !options.force && new Set(rec.names.map(repoOf)).size > 1) {
    throw failedPrecondition(`conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
  }
  return store.removeImage(query, options);
}
