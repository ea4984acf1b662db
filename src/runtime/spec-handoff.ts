// The runtime's start overlapped with the engine's last steps. A runtime's first ~4 ms (runc:
// exec, Go's start, flags) need no config.json; only then does it open the bundle's config.json.
// So the engine may spawn the runtime (or conmon, which spawns it) first and mount the rootfs and
// write the spec meanwhile, if config.json is a FIFO until the spec exists: a runtime that gets
// there early waits in read(2) for it. For runtimes known to open config.json once and read one
// JSON value from it (runc: os.Open, then json.Decoder.Decode; it needs no end of file).
import { closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { tempPathFor } from '../internal/atomic.js';
import { internal } from '../internal/errors.js';
import { removeFile } from '../internal/remove.js';
import { mknod, S_IFIFO, setPipeSize } from '../internal/sys.js';

/**
 * A second name of the FIFO, kept until the runtime is past its open: config.json is renamed
 * over once the spec is written, and a CLI killed half way must leave the FIFO reachable to the
 * next command (releaseStrandedHandoff).
 */
function fifoLink(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.fifo`);
}

/** The runtimes whose reading of config.json a FIFO serves (see the file's comment). */
export function readsSpecFromFifo(runtimeName: string): boolean {
  return runtimeName === 'runc';
}

/**
 * config.json as a FIFO, held open (read and write) by the engine so that the runtime's open(2)
 * never blocks. The order of write() keeps every interleaving whole: the regular file first
 * replaces the FIFO (a runtime that opens config.json later reads the file), then the same bytes
 * go into the pipe (for a runtime that opened the FIFO before). The engine's end is closed only
 * once the runtime is past reading (it created the container, or exited): closed earlier, a
 * runtime between its lookup of the FIFO and the open itself would wait for a writer for ever.
 */
export class SpecHandoff {
  private fd: number;
  /** config.json is the spec's regular file now. */
  private written = false;
  /** The whole spec is in the pipe too. */
  private piped = false;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Replaces the bundle's config.json (if any) by a FIFO; makes the bundle dir if need be. */
  static open(file: string): SpecHandoff {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    removeFile(file);
    removeFile(fifoLink(file));
    mknod(file, S_IFIFO | 0o600, 0, 0);
    linkSync(file, fifoLink(file));
    // O_RDWR: a FIFO's open for writing waits for a reader; read-write opens at once, and the
    // runtime's open for reading then finds a writer. Non-blocking: a write never waits.
    return new SpecHandoff(file, openSync(file, fsc.O_RDWR | fsc.O_NONBLOCK));
  }

  /** The spec, for a runtime that reads config.json now or later. */
  write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    const tmp = tempPathFor(this.file);
    writeFileSync(tmp, bytes, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.written = true;
    // A pipe holds 64 KiB unless told otherwise: room for the whole spec, so no write waits.
    try {
      if (bytes.length > 65536) setPipeSize(this.fd, bytes.length);
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (err) {
      throw internal(`cannot hand the runtime its spec (${bytes.length} bytes) through ${this.file}`, { cause: err });
    }
    this.piped = true;
  }

  /**
   * The start was given up before the spec was written: a runtime that reads config.json gets
   * an empty object (after whatever part of the spec it got: then invalid JSON) and fails at once ("process property must not be empty") instead of
   * waiting. (runc 1.1 panics on `null`.) Close once the runtime is done.
   */
  abort(): void {
    if (this.piped) return;
    try {
      writeSync(this.fd, '{}\n');
    } catch (err) {
      throw internal(`cannot abort the runtime's read of ${this.file}`, { cause: err });
    }
  }

  /** Once the runtime is past reading config.json (it created the container, or it exited). */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    removeFile(fifoLink(this.file));
    // No spec came: the FIFO must not stay where a later reader of config.json would wait.
    if (!this.written) removeFile(this.file);
  }
}

/** Whether a start's handoff was left half way (its CLI killed before it closed the FIFO). */
export function strandedHandoff(file: string): boolean {
  if (existsSync(fifoLink(file))) return true;
  try {
    return lstatSync(file).isFIFO();
  } catch {
    return false;
  }
}

/**
 * The FIFO of a start whose CLI was killed before the runtime had read its spec: a runtime that
 * opened it after the CLI's end waits in open(2) for a writer for ever (and its conmon with it).
 * Held open read-write for a moment (a reader waiting in open, or one between its lookup and its
 * open, gets through), then closed: every reader reads an end of file, fails and exits. Then
 * config.json (if still the FIFO) and the second name go. Call under the container's lock.
 */
export async function releaseStrandedHandoff(file: string): Promise<void> {
  const link = fifoLink(file);
  let fd: number | undefined;
  for (const name of [link, file]) {
    try {
      if (lstatSync(name).isFIFO()) {
        fd = openSync(name, fsc.O_RDWR | fsc.O_NONBLOCK);
        break;
      }
    } catch {}
  }
  removeFile(link);
  try {
    if (lstatSync(file).isFIFO()) removeFile(file);
  } catch {}
  if (fd === undefined) return;
  await new Promise((r) => setTimeout(r, 50));
  closeSync(fd);
}
