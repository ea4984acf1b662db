// berth image prune: which images go. Dangling ones (every unused one with `all`), never one a
// container holds, narrowed by docker's prune filters until=TIME and label[!]=KEY[=VALUE].
import { type LabelFilter, labelMatches, parseLabelFilter } from '../labels.js';
import { familiarText } from '../../reference/index.js';
import { recordEvent } from '../events.js';
import { invalidArgument, isBerthError } from '../../internal/errors.js';
import type { Digest } from '../../digest/digest.js';
import { type ImageRecord, imageCreatedMs, type PruneResult, type Store } from '../../store/index.js';
import { imageConfigOf } from './list.js';

export interface PruneImagesOptions {
  /** Every image no container uses, not only dangling ones (docker's -a). */
  all?: boolean;
  /** docker's prune filters: "until=24h", "until=2024-01-01T00:00:00Z", "label=k", "label!=k=v". */
  filters?: string[];
  /** Now, for "until" durations; default Date.now(). */
  now?: number;
}

interface PruneFilters {
  /** Only images created before this instant (ms). */
  until?: number;
  /** Each must hold: a label present (value undefined) or equal. */
  labels: LabelFilter[];
  /** None may hold. */
  notLabels: LabelFilter[];
  /** image prune's dangling=false (or 0): every unused image, as -a. */
  everyImage?: boolean;
}

/** The images `image prune` removes, oldest first. */
export async function imagesToPrune(store: Store, options: PruneImagesOptions = {}): Promise<ImageRecord[]> {
  const filters = parsePruneFilters(options.filters ?? [], options.now ?? Date.now(), { dangling: true });
  const all = options.all || filters.everyImage;
  const held = new Set((await store.holds()).flatMap((h) => h.images));
  const out: ImageRecord[] = [];
  for (const rec of await store.listImages()) {
    if (held.has(rec.id)) continue;
    if (!all && (rec.names.length > 0 || rec.digests.length > 0)) continue;
    if (filters.until !== undefined && !(imageCreatedMs(rec) < filters.until)) continue;
    if (filters.labels.length > 0 || filters.notLabels.length > 0) {
      const labels = (await imageConfigOf(store, rec))?.config?.Labels ?? {};
      if (!filters.labels.every((l) => labelMatches(labels, l))) continue;
      if (filters.notLabels.some((l) => labelMatches(labels, l))) continue;
    }
    out.push(rec);
  }
  return out.sort((a, b) => imageCreatedMs(a) - imageCreatedMs(b));
}

export interface PrunedImages {
  /** Each removed image in turn: the names and digests taken off it, and its ID. */
  removed: { untagged: string[]; deleted: Digest[] }[];
  /** What the store's collection freed afterwards (layers, blobs, bytes). */
  pruned: PruneResult;
}

/**
 * docker image prune: removes the images `imagesToPrune` picks, then collects the layers and
 * blobs nothing references any more. An image a container took meanwhile is skipped.
 */
export async function pruneImages(store: Store, options: PruneImagesOptions = {}): Promise<PrunedImages> {
  const out: PrunedImages = { removed: [], pruned: { layers: [], blobs: [], bytes: 0 } };
  for (const r of await imagesToPrune(store, options)) {
    try {
      const result = await store.removeImage(r.id, { force: false, prune: false });
      out.removed.push({ untagged: result.untagged, deleted: result.deleted });
      for (const name of result.untagged) recordEvent(store.layout.runroot, 'image', 'untag', r.id, { name: familiarText(name) });
      for (const id of result.deleted) recordEvent(store.layout.runroot, 'image', 'delete', id, { name: id });
    } catch (err) {
      // Held by a container created since the listing, or removed by another command.
      if (isBerthError(err, 'failed-precondition') || isBerthError(err, 'not-found')) continue;
      throw err;
    }
  }
  out.pruned = await store.prune();
  return out;
}

/**
 * A prune's filters as dockerd takes them: until, label and label!, and for image prune
 * (`dangling`) dangling too, whose false or 0 prunes as -a does (docker's CLI sends
 * dangling=true beside the user's, so another value is no error).
 */
export function parsePruneFilters(specs: string[], now: number, options: { dangling?: boolean } = {}): PruneFilters {
  const out: PruneFilters = { labels: [], notLabels: [] };
  for (const spec of specs) {
    // dockerd's words for a key prune does not know, and for a second until.
    const m = /^(until|label|label!|dangling)=(.*)$/s.exec(spec);
    if (!m || (m[1] === 'dangling' && !options.dangling)) throw invalidArgument(`Invalid filter '${spec.split('=')[0]}'`);
    const [, key, value] = m;
    if (key === 'dangling') {
      if (value === 'false' || value === '0') out.everyImage = true;
      continue;
    }
    if (key === 'until') {
      if (out.until !== undefined) throw invalidArgument('more than one until filter specified');
      out.until = parseUntil(value, now);
      continue;
    }
    const label = parseLabelFilter(value);
    if (label.key === '') throw invalidArgument(`invalid filter "${spec}": the label name is empty`);
    (key === 'label' ? out.labels : out.notLabels).push(label);
  }
  return out;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** docker's until: a Go duration before now ("24h", "1h30m", "90s"), Unix seconds, or RFC 3339. */
export function parseUntil(text: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) {
    let ms = 0;
    for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(n) * UNIT_MS[unit];
    return now - ms;
  }
  const t = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${text}"`);
  return t;
}
