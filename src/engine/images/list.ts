// The local image list as users see it (berth images): one row per name, or one <none> row for
// an image without names, with docker's filters (dangling, reference, before, since, label).
import type { Digest } from '../../digest/digest.js';
import { invalidArgument } from '../../internal/errors.js';
import { type ImageConfig, parseImageConfig } from '../../image/index.js';
import { familiarString, parseNormalizedReference } from '../../reference/index.js';
import { type ImageRecord, imageCreatedMs, normalizeName, repoOf, resolveIn, type Store } from '../../store/index.js';

export interface ImageRow {
  /** Familiar repository ("busybox", "localhost:5000/x") or "<none>". */
  repository: string;
  tag: string;
  /** The manifest digest the repository knows the image by, or "<none>". */
  digest: string;
  id: Digest;
  created?: string;
  size: number;
  /** Every canonical name of the image. */
  names: string[];
  /** This row's canonical name ("docker.io/library/busybox:latest"), or repository@digest for one pulled by digest only. */
  name?: string;
  digests: string[];
  labels: Record<string, string>;
  dangling: boolean;
  record: ImageRecord;
}

export interface ListOptions {
  /** --filter key=value, repeated. */
  filters?: string[];
}

/** "docker.io/library/busybox:latest" -> ["busybox", "latest"]. */
export function splitName(name: string): { repository: string; tag: string } {
  const repo = repoOf(name);
  const tag = name.length > repo.length ? name.slice(repo.length + 1) : '<none>';
  let familiar = repo;
  try {
    familiar = familiarString(parseNormalizedReference(repo));
  } catch {
    // keep the stored form
  }
  return { repository: familiar, tag };
}

export async function imageConfigOf(store: Store, rec: ImageRecord): Promise<ImageConfig | undefined> {
  try {
    return parseImageConfig(await store.content.readBlob(rec.config.digest));
  } catch {
    return undefined;
  }
}

/** The rows `berth images` prints, newest first. */
export async function listImageRows(store: Store, options: ListOptions = {}): Promise<ImageRow[]> {
  const records = await store.listImages();
  const filters = parseFilters(options.filters ?? []);
  const needLabels = filters.some((f) => f.key === 'label');
  const rows: ImageRow[] = [];
  for (const rec of records) {
    const labels = needLabels ? ((await imageConfigOf(store, rec))?.config?.Labels ?? {}) : {};
    const base = { id: rec.id, created: rec.created, size: rec.size, names: rec.names, digests: rec.digests, labels, record: rec };
    const digestFor = (repo: string) => rec.digests.find((d) => repoOf(d) === repo)?.split('@')[1] ?? '<none>';
    if (rec.names.length === 0) {
      const anyDigest = rec.digests[0];
      // Pulled by digest only: the repository is known, the tag is not; docker does not call it dangling.
      rows.push({
        ...base,
        ...(anyDigest ? { name: anyDigest } : {}),
        repository: anyDigest ? splitName(repoOf(anyDigest)).repository : '<none>',
        tag: '<none>',
        digest: anyDigest ? anyDigest.split('@')[1] : '<none>',
        dangling: anyDigest === undefined,
      });
      continue;
    }
    for (const n of rec.names) {
      const { repository, tag } = splitName(n);
      rows.push({ ...base, name: n, repository, tag, digest: digestFor(repoOf(n)), dangling: false });
    }
  }
  // before= and since= name an image as any other verb does, and a missing one is its "No such image".
  const resolveTime = (q: string) => imageCreatedMs(resolveIn(records, q, { normalize: normalizeName }));
  // dockerd's: the references given are alternatives (one must match), every other filter must hold.
  const references = filters.filter((f) => f.key === 'reference');
  const others = filters.filter((f) => f.key !== 'reference');
  const kept = rows.filter(
    (row) => (references.length === 0 || references.some((f) => matches(row, f, resolveTime))) && others.every((f) => matches(row, f, resolveTime)),
  );
  return kept.sort((a, b) => imageCreatedMs(b.record) - imageCreatedMs(a.record) || a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag));
}

interface Filter {
  key: string;
  value: string;
}

function parseFilters(specs: string[]): Filter[] {
  return specs.map((s) => {
    const eq = s.indexOf('=');
    // dockerd's words for a key it does not take (id is podman's).
    const key = eq < 0 ? s : s.slice(0, eq);
    if (!['dangling', 'reference', 'before', 'since', 'label', 'id'].includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
    return { key, value: s.slice(eq + 1) };
  });
}

/** Shell-style glob over a reference, as docker matches "busybox:1*" or "library/b*". */
function glob(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

function matches(row: ImageRow, f: Filter, timeOf: (q: string) => number): boolean {
  switch (f.key) {
    case 'dangling':
      if (f.value !== 'true' && f.value !== 'false') throw invalidArgument(`Invalid filter 'dangling=[${f.value}]'`);
      return row.dangling === (f.value === 'true');
    case 'reference': {
      if (row.dangling) return false;
      const re = glob(f.value);
      // The row's own name: a row of the image's other name is not listed (docker lists by name).
      return re.test(row.repository) || re.test(`${row.repository}:${row.tag}`) || (row.name !== undefined && (re.test(row.name) || re.test(repoOf(row.name))));
    }
    case 'before':
      return imageCreatedMs(row.record) < timeOf(f.value);
    case 'since':
      return imageCreatedMs(row.record) > timeOf(f.value);
    case 'label': {
      const eq = f.value.indexOf('=');
      if (eq === -1) return f.value in row.labels;
      return row.labels[f.value.slice(0, eq)] === f.value.slice(eq + 1);
    }
    case 'id':
      return row.id.slice(7).startsWith(f.value.replace(/^sha256:/, ''));
    default:
      return true;
  }
}
