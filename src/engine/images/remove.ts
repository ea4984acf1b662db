// berth rmi: docker's rules on top of the store's removal. A name only untags (unless it is the
// image's last); an ID of an image that several repositories name needs --force.
import type { Digest } from '../../digest/digest.js';
import { failedPrecondition } from '../../internal/errors.js';
import { familiarText } from '../../reference/index.js';
import { recordEvent } from '../events.js';
import { repoOf } from '../../store/index.js';
import { normalizeName, type RemoveResult, type Store } from '../../store/store.js';

export interface RemoveImageOptions {
  force?: boolean;
  prune?: boolean;
  /**
   * A running (or paused) container of the image, if any (its ID): dockerd never deletes an
   * image one runs ("cannot be forced"), asked by its ID or with -f; the store's holds refuse
   * the other users, stopped containers, without -f.
   */
  runningUser?: (imageId: Digest) => Promise<string | undefined>;
}

export async function removeImage(store: Store, query: string, options: RemoveImageOptions = {}): Promise<RemoveResult> {
  const rec = await store.resolveImage(query);
  const byName = rec.names.includes(query) || rec.names.includes(normalizeName(query) ?? '');
  if (!byName && !options.force && new Set(rec.names.map(repoOf)).size > 1) {
    throw failedPrecondition(`conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
  }
  // A name of several only untags; anything else deletes the image, which -f may not do under a
  // running container (dockerd 20.10's hard conflict).
  const deletes = !byName || rec.names.length <= 1;
  // dockerd's hard conflict, checked before its soft ones: by its ID (forced or not) or by -f.
  if (deletes && (options.force || !byName)) {
    const running = await options.runningUser?.(rec.id);
    if (running) throw failedPrecondition(`conflict: unable to delete ${rec.id.slice(7, 19)} (cannot be forced) - image is being used by running container ${running.slice(0, 12)}`);
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
