// A cursor over a Readable's chunks for parsers: hands out views of the chunks as they
// came (no copies unless a read spans chunks) and pauses the source when enough is queued.
import type { Readable } from 'node:stream';
import { BerthError, aborted, kindOfSystemError } from '../internal/errors.js';

const EMPTY = Buffer.alloc(0);
/** Bytes queued ahead of the parser before the source is paused: a few chunks of read-ahead. */
const QUEUE_HIGH = 1024 * 1024;
/** ... or this many chunks, whichever comes first (tiny chunks cost per chunk, not per byte). */
const QUEUE_CHUNKS = 1024;

export class ByteSource {
  private readonly source: Readable;
  /** Chunks received and not yet taken; `head` is the next one (no O(n) shift per chunk). */
  private queue: Buffer[] = [];
  private head = 0;
  private queued = 0;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private started = false;
  private readonly what: string;
  /** Bytes handed out so far: the offset in the stream of the next byte. */
  offset = 0;

  constructor(source: Readable, what: string) {
    this.source = source;
    this.what = what;
  }

  private start(): void {
    this.started = true;
    const source = this.source;
    // A stream that already ended or failed will not say so again: take its state as it is.
    if (source.readableEnded) this.ended = true;
    else if (source.errored) this.failure = this.describe(source.errored);
    else if (source.destroyed) this.failure = aborted(`cannot read ${this.what}: the stream was already destroyed`);
    source.on('data', this.onData);
    source.once('end', this.onEnd);
    source.once('error', this.onError);
    source.once('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer | Uint8Array | string): void => {
    const buf = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) return;
    this.queue.push(buf);
    this.queued += buf.length;
    if (this.queued >= QUEUE_HIGH || this.queue.length - this.head >= QUEUE_CHUNKS) this.source.pause();
    this.notify();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  private readonly onError = (err: unknown): void => {
    if (this.failure === undefined) this.failure = this.describe(err);
    this.notify();
  };

  private readonly onClose = (): void => {
    if (!this.ended && this.failure === undefined) {
      this.failure = aborted(`cannot read ${this.what}: the stream closed before its end`);
    }
    this.notify();
  };

  private describe(err: unknown): BerthError {
    if (err instanceof BerthError) return err;
    if ((err as { name?: string } | undefined)?.name === 'AbortError') return aborted(`cannot read ${this.what}: aborted`, { cause: err });
    return new BerthError(kindOfSystemError(err), `cannot read ${this.what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Bytes ready in the current chunk without waiting. */
  get available(): number {
    return this.chunk.length - this.pos;
  }

  /** Makes the current chunk non-empty; false at the end of the stream. */
  async fill(): Promise<boolean> {
    if (!this.started) this.start();
    while (this.pos >= this.chunk.length) {
      if (this.head < this.queue.length) {
        this.chunk = this.queue[this.head++];
        this.pos = 0;
        this.queued -= this.chunk.length;
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        } else if (this.head >= 512) {
          // Drop taken chunks now and then, so the array does not keep them alive.
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        if (this.queued < QUEUE_HIGH && this.queue.length - this.head < QUEUE_CHUNKS && this.source.isPaused() && !this.ended) this.source.resume();
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return false;
      if (this.source.isPaused()) this.source.resume();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return true;
  }

  /** A view of up to `max` bytes of the current chunk; call only when `available > 0`. */
  take(max: number): Buffer {
    const n = Math.min(max, this.chunk.length - this.pos);
    const view = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return view;
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. A view when one chunk holds them. */
  async read(n: number): Promise<Buffer> {
    if (this.available >= n) return this.take(n);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n && (await this.fill())) {
      const part = this.take(n - got);
      parts.push(part);
      got += part.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
  }

  /** Discards up to `n` bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.fill())) break;
      left -= this.take(left).length;
    }
    return n - left;
  }

  /** Reads and drops everything left (so a hashing stream upstream sees every byte). */
  async drain(): Promise<void> {
    while (await this.fill()) this.take(this.available);
  }

  /** Stops reading and destroys the source. */
  destroy(): void {
    const source = this.source;
    source.off('data', this.onData);
    source.off('end', this.onEnd);
    source.off('close', this.onClose);
    // Keep an error listener: a late error from the destroyed source must not crash the process.
    source.off('error', this.onError);
    source.on('error', () => {});
    if (!source.destroyed) source.destroy();
    this.notify();
  }

  /** Detaches after a clean end, leaving a source that has not ended paused. */
  release(): void {
    if (!this.ended) this.source.pause();
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('close', this.onClose);
    this.source.off('error', this.onError);
  }
}
