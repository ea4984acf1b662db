// Blob uploads: a session per upload id, appended in order (PATCH chunks, streamed or with
// Content-Range), hashed as bytes arrive, and made visible only by a verified atomic move.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Digest, digestAlgorithm } from '../../digest/digest.js';
import { isBerthError } from '../../internal/errors.js';
import { Sha256 } from '../../internal/sys-socket.js';
import { regError } from './errors.js';
import { paths } from './paths.js';
import type { RegistryStorage } from './storage.js';

const UPLOAD_ID = /^[a-f0-9-]{36}$/;
/**
 * Temp files older than this are left by a crash: an atomic write or a delete finishes in far
 * less. A younger one may belong to another server on the same root, so it waits its turn.
 */
export const TEMP_MAX_AGE_MS = 60_000;

interface Session {
  name: string;
  /** SHA-256 of bytes [0, hashed); dropped when it may disagree with the file. */
  hash: Sha256 | undefined;
  hashed: number;
  busy: boolean;
}

export interface ContentRange {
  start: number;
  end: number;
}

export class Uploads {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly storage: RegistryStorage) {}

  private get driver() {
    return this.storage.driver;
  }

  async start(name: string): Promise<string> {
    const id = randomUUID();
    await this.driver.putContent(paths.uploadInfo(id), JSON.stringify({ name, startedAt: new Date().toISOString() }));
    this.sessions.set(id, { name, hash: new Sha256(), hashed: 0, busy: false });
    return id;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN when the id is not an upload of this repository. */
  async size(name: string, id: string): Promise<number> {
    await this.session(name, id);
    return this.dataSize(id);
  }

  /**
   * Appends a body. With `range`, its start must equal the bytes received so far (else 416,
   * nothing written) and `length`, when known, must equal the range's length.
   */
  async append(name: string, id: string, body: AsyncIterable<Buffer>, range?: ContentRange, length?: number): Promise<number> {
    const s = await this.session(name, id);
    if (s.busy) throw regError('BLOB_UPLOAD_INVALID', `upload ${id} is receiving another chunk`, { status: 416 });
    s.busy = true;
    try {
      const size = await this.dataSize(id);
      if (range) {
        if (range.start !== size) {
          throw regError('BLOB_UPLOAD_INVALID', `chunk starts at ${range.start} but the upload has ${size} bytes`, { status: 416, detail: { size } });
        }
        if (length !== undefined && length !== range.end - range.start + 1) {
          throw regError('BLOB_UPLOAD_INVALID', `Content-Range ${range.start}-${range.end} does not match Content-Length ${length}`, { status: 416 });
        }
      }
      const hash = s.hash && s.hashed === size ? s.hash : undefined;
      s.hash = undefined;
      const w = await this.driver.writer(paths.uploadData(id), true);
      let n = 0;
      try {
        // A plain request body goes from the socket to the file without passing through JS.
        const received = body instanceof Readable && w.receive ? await w.receive(body, hash) : undefined;
        if (received !== undefined) n = received;
        else {
          for await (const chunk of body) {
            await w.write(chunk);
            hash?.update(chunk);
            n += chunk.byteLength;
          }
        }
        await w.close();
      } catch (e) {
        await w.close().catch(() => {});
        throw e;
      }
      if (range && n !== range.end - range.start + 1) {
        // The bytes are kept (the offset stays truthful); the client learns where it stands.
        throw regError('BLOB_UPLOAD_INVALID', `chunk has ${n} bytes but Content-Range says ${range.end - range.start + 1}`, { status: 416, detail: { size: size + n } });
      }
      if (hash) {
        s.hash = hash;
        s.hashed = size + n;
      }
      return size + n;
    } finally {
      s.busy = false;
    }
  }

  /**
   * Checks the whole upload against `digest` and moves it into the blob store, then links
   * it into the repository. A mismatch discards the upload (DIGEST_INVALID).
   */
  async finish(name: string, id: string, digest: Digest, body?: AsyncIterable<Buffer>, range?: ContentRange, length?: number): Promise<number> {
    if (body) await this.append(name, id, body, range, length);
    const s = await this.session(name, id);
    if (s.busy) throw regError('BLOB_UPLOAD_INVALID', `upload ${id} is receiving another chunk`, { status: 416 });
    s.busy = true;
    try {
      const size = await this.dataSize(id);
      let got: string;
      if (s.hash && s.hashed === size && digestAlgorithm(digest) === 'sha256') got = `sha256:${s.hash.digest()}`;
      else got = await this.rehash(id, digestAlgorithm(digest));
      s.hash = undefined;
      if (got !== digest) {
        await this.cancel(name, id);
        throw regError('DIGEST_INVALID', `upload does not match digest ${digest}: its content is ${got}`, { detail: { expected: digest, got } });
      }
      const w = await this.driver.writer(paths.uploadData(id), true);
      await w.commit(); // fsync: the blob is durable before its name exists
      await this.driver.move(paths.uploadData(id), paths.blobData(digest));
      this.storage.forgetBlob(digest);
      await this.storage.linkBlob(name, digest);
      await this.driver.delete(paths.upload(id)).catch(() => {});
      this.sessions.delete(id);
      return size;
    } finally {
      s.busy = false;
    }
  }

  async cancel(name: string, id: string): Promise<void> {
    await this.session(name, id);
    this.sessions.delete(id);
    await this.driver.delete(paths.upload(id)).catch((e) => {
      if (!isBerthError(e, 'not-found')) throw e;
    });
  }

  /**
   * Deletes uploads untouched for longer than `maxAgeMs`; returns their ids. Also removes the
   * temp files a killed server left in the uploads tree (a session's info being written, an
   * upload renamed away by its delete), which are no upload and so never expire as one.
   */
  async purge(maxAgeMs: number, now = Date.now()): Promise<string[]> {
    let dirs: string[];
    try {
      dirs = await this.driver.list(paths.uploadsRoot());
    } catch (e) {
      if (isBerthError(e, 'not-found')) return [];
      throw e;
    }
    const removed: string[] = [];
    for (const dir of dirs) {
      const id = dir.slice(dir.lastIndexOf('/') + 1);
      const s = this.sessions.get(id);
      if (s?.busy) continue;
      try {
        const st = await this.driver.stat(dir);
        let newest = st.modTime.getTime();
        for (const f of await this.driver.list(dir)) newest = Math.max(newest, (await this.driver.stat(f)).modTime.getTime());
        if (now - newest < maxAgeMs) continue;
        await this.driver.delete(dir);
        this.sessions.delete(id);
        removed.push(id);
      } catch (e) {
        if (!isBerthError(e, 'not-found')) throw e;
      }
    }
    await this.driver.removeTemps?.(paths.uploadsRoot(), new Date(now - Math.min(maxAgeMs, TEMP_MAX_AGE_MS)));
    return removed;
  }

  private async session(name: string, id: string): Promise<Session> {
    const unknown = () => regError('BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 100)} is unknown in ${name}`);
    if (!UPLOAD_ID.test(id)) throw unknown();
    const known = this.sessions.get(id);
    if (known) {
      if (known.name !== name) throw unknown();
      return known;
    }
    // An upload from before a restart: resumable, its hash recomputed at the end.
    let info: { name?: string };
    try {
      info = JSON.parse((await this.driver.getContent(paths.uploadInfo(id))).toString('utf8'));
    } catch (e) {
      if (isBerthError(e, 'not-found') || e instanceof SyntaxError) throw unknown();
      throw e;
    }
    if (info.name !== name) throw unknown();
    const s: Session = { name, hash: undefined, hashed: 0, busy: false };
    this.sessions.set(id, s);
    return s;
  }

  private async dataSize(id: string): Promise<number> {
    try {
      return (await this.driver.stat(paths.uploadData(id))).size;
    } catch (e) {
      if (isBerthError(e, 'not-found')) return 0;
      throw e;
    }
  }

  private async rehash(id: string, algorithm: string): Promise<string> {
    const h = createHash(algorithm);
    try {
      for await (const chunk of await this.driver.reader(paths.uploadData(id))) h.update(chunk as Buffer);
    } catch (e) {
      if (!isBerthError(e, 'not-found')) throw e;
    }
    return `${algorithm}:${h.digest('hex')}`;
  }
}
