// Garbage collection, mark and sweep: every blob that a manifest of any repository still
// references is marked; the rest is swept. Recent blobs and links survive (pushes in flight).
import { type Digest, isDigest } from '../../digest/digest.js';
import { isBerthError } from '../../internal/errors.js';
import type { StorageDriver } from '../driver/driver.js';
import { paths } from './paths.js';
import { RegistryStorage } from './storage.js';
import { TEMP_MAX_AGE_MS, Uploads } from './uploads.js';

export interface GcOptions {
  dryRun?: boolean;
  /** Also remove manifests that no tag reaches (through indexes and referrers). */
  deleteUntagged?: boolean;
  /**
   * Blobs and revisions younger than this are kept even when unreferenced: a push in
   * progress has uploaded its layers but not yet its manifest. Default 10 minutes.
   */
  graceMs?: number;
  /** Uploads untouched this long are removed; default 24 h. */
  uploadMaxAgeMs?: number;
  now?: number;
}

export interface GcReport {
  manifests: { name: string; digest: Digest }[];
  blobs: { digest: Digest; size: number }[];
  uploads: string[];
  /** Temp files that crashed writes left (paths), removed when older than a minute. */
  temps: string[];
  bytesFreed: number;
  blobsKept: number;
}

const notFound = (e: unknown) => isBerthError(e, 'not-found');

async function listOr(driver: StorageDriver, p: string): Promise<string[]> {
  try {
    return await driver.list(p);
  } catch (e) {
    if (notFound(e)) return [];
    throw e;
  }
}

/** Digests under a `<algorithm>/<hex>` tree (revisions, layer links). */
async function digestsUnder(driver: StorageDriver, dir: string): Promise<{ digest: Digest; path: string }[]> {
  const out: { digest: Digest; path: string }[] = [];
  for (const alg of await listOr(driver, dir)) {
    const a = alg.slice(alg.lastIndexOf('/') + 1);
    for (const h of await listOr(driver, alg)) {
      const d = `${a}:${h.slice(h.lastIndexOf('/') + 1)}`;
      if (isDigest(d)) out.push({ digest: d, path: h });
    }
  }
  return out;
}

/** The digests a manifest or index points at (config, layers, children, artifact blobs). */
function referencesOf(bytes: Buffer): { refs: Digest[]; subject?: Digest } {
  try {
    const m = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const refs: Digest[] = [];
    const add = (d: unknown) => {
      if (typeof d === 'object' && d !== null && isDigest((d as { digest?: unknown }).digest)) refs.push((d as { digest: Digest }).digest);
    };
    add(m.config);
    for (const key of ['layers', 'manifests', 'blobs']) if (Array.isArray(m[key])) (m[key] as unknown[]).forEach(add);
    const s = (m.subject as { digest?: unknown } | undefined)?.digest;
    return { refs, subject: isDigest(s) ? s : undefined };
  } catch {
    return { refs: [] };
  }
}

export async function collectGarbage(driver: StorageDriver, options: GcOptions = {}): Promise<GcReport> {
  const now = options.now ?? Date.now();
  const grace = options.graceMs ?? 10 * 60_000;
  const storage = new RegistryStorage(driver, { linkCacheMs: 0 });
  const report: GcReport = { manifests: [], blobs: [], uploads: [], temps: [], bytesFreed: 0, blobsKept: 0 };
  const marked = new Set<Digest>();
  const young = async (p: string) => {
    try {
      return now - (await driver.stat(p)).modTime.getTime() < grace;
    } catch {
      return false;
    }
  };

  // Mark.
  const repositories = await storage.listRepositories();
  for (const name of repositories) {
    const revisions = await digestsUnder(driver, paths.revisionsDir(name));
    const manifests = new Map<Digest, { refs: Digest[]; subject?: Digest }>();
    for (const r of revisions) {
      try {
        manifests.set(r.digest, referencesOf(await driver.getContent(paths.blobData(r.digest))));
      } catch (e) {
        if (!notFound(e)) throw e;
        manifests.set(r.digest, { refs: [] });
      }
    }
    let keep: Set<Digest>;
    if (options.deleteUntagged) {
      keep = new Set();
      const visit = (d: Digest) => {
        if (keep.has(d) || !manifests.has(d)) return;
        keep.add(d);
        for (const c of manifests.get(d)!.refs) visit(c);
      };
      for (const tag of await storage.listTags(name)) {
        const d = await storage.resolveTag(name, tag);
        if (d) visit(d);
      }
      for (const r of revisions) if (await young(r.path)) visit(r.digest);
      // Referrers live as long as their subject does.
      for (let grew = true; grew; ) {
        grew = false;
        for (const [d, m] of manifests) {
          if (!keep.has(d) && m.subject && keep.has(m.subject)) {
            visit(d);
            grew = true;
          }
        }
      }
      for (const r of revisions) {
        if (keep.has(r.digest)) continue;
        report.manifests.push({ name, digest: r.digest });
        if (!options.dryRun) await storage.deleteManifest(name, r.digest, manifests.get(r.digest)?.subject);
      }
    } else keep = new Set(manifests.keys());
    for (const d of keep) {
      marked.add(d);
      for (const c of manifests.get(d)!.refs) marked.add(c);
    }
  }

  // Links made since the mark began (a mount of an old blob) protect their blob too.
  const fresh = async () => {
    for (const name of await storage.listRepositories()) {
      for (const l of await digestsUnder(driver, paths.layersDir(name))) if (!marked.has(l.digest) && (await young(l.path))) marked.add(l.digest);
    }
  };
  await fresh();

  // Sweep.
  const swept = new Set<Digest>();
  for (const algDir of await listOr(driver, paths.blobsRoot())) {
    const alg = algDir.slice(algDir.lastIndexOf('/') + 1);
    for (const prefix of await listOr(driver, algDir)) {
      for (const dir of await listOr(driver, prefix)) {
        const d = `${alg}:${dir.slice(dir.lastIndexOf('/') + 1)}`;
        if (!isDigest(d)) continue;
        if (marked.has(d) || (await young(paths.blobData(d)))) {
          report.blobsKept++;
          continue;
        }
        let size = 0;
        try {
          size = (await driver.stat(paths.blobData(d))).size;
        } catch (e) {
          if (!notFound(e)) throw e;
        }
        report.blobs.push({ digest: d, size });
        report.bytesFreed += size;
        swept.add(d);
        if (!options.dryRun) await driver.delete(paths.blobDir(d)).catch((e) => (notFound(e) ? undefined : Promise.reject(e)));
      }
    }
  }
  // Links to swept blobs would make repositories claim content they cannot serve.
  if (!options.dryRun && swept.size > 0) {
    for (const name of await storage.listRepositories()) {
      for (const l of await digestsUnder(driver, paths.layersDir(name))) if (swept.has(l.digest)) await driver.delete(l.path).catch(() => {});
    }
  }

  const uploadMaxAge = options.uploadMaxAgeMs ?? 24 * 3600_000;
  if (options.dryRun) {
    for (const dir of await listOr(driver, paths.uploadsRoot())) {
      if (!(await youngTree(driver, dir, now, uploadMaxAge))) report.uploads.push(dir.slice(dir.lastIndexOf('/') + 1));
    }
  } else {
    report.uploads = await new Uploads(storage).purge(uploadMaxAge, now);
    report.temps = (await driver.removeTemps?.('/', new Date(now - Math.min(grace, TEMP_MAX_AGE_MS)))) ?? [];
  }
  return report;
}

async function youngTree(driver: StorageDriver, dir: string, now: number, maxAge: number): Promise<boolean> {
  let newest = 0;
  try {
    newest = (await driver.stat(dir)).modTime.getTime();
    for (const f of await driver.list(dir)) newest = Math.max(newest, (await driver.stat(f)).modTime.getTime());
  } catch {
    return true;
  }
  return now - newest < maxAge;
}
