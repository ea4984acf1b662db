// zstd compression and decompression as Transforms over libzstd (the native addon). Each
// native step makes at most 4 MiB, so a bomb waits on backpressure instead of ballooning.
import { Transform, type TransformCallback } from 'node:stream';
import { BerthError, corrupt, internal } from '../internal/errors.js';
import { ZstdCoder, type ZstdStep } from '../internal/sys-zstd.js';

/**
 * Inputs at least this big are worked on libuv's thread pool (the event loop stays free
 * and the next chunk is read meanwhile); smaller ones cost less than the hop to a thread.
 */
const ASYNC_INPUT = 16 * 1024;
const EMPTY = Buffer.alloc(0);
/** Input gathered before a step: 256 KiB of zstd is about 1 MiB of output, ~1 ms of work. */
const GATHER_INPUT = 256 * 1024;

/** zstd (de)compression through one libzstd context; multi-frame and skippable frames read. */
export class ZstdStream extends Transform {
  private readonly coder: ZstdCoder;
  private pending: (() => void) | undefined;
  /**
   * Node called _read() and nothing was pushed since: it will not call it again before a
   * push, so working must not wait then, even if a consumer's unshift() filled the buffer.
   */
  private readRequested = false;
  private readonly held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly compressing: boolean,
    level = 3,
  ) {
    super({ readableHighWaterMark: 64 * 1024 });
    this.coder = new ZstdCoder(compressing, level);
  }

  override _read(size: number): void {
    this.readRequested = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    // Small chunks (files and sockets give 16-64 KiB) are gathered first: each step on the
    // thread pool costs a round trip, worth it only for a good slice of work.
    if (this.heldBytes + chunk.length < GATHER_INPUT) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      cb();
      return;
    }
    this.work(this.takeHeld(chunk), false, cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.heldBytes === 0) {
      this.work(EMPTY, true, cb);
      return;
    }
    // The last gathered input, then the end (a compressor's epilogue, a decoder's check).
    this.work(this.takeHeld(EMPTY), false, (err) => (err ? cb(err) : this.work(EMPTY, true, cb)));
  }

  private takeHeld(chunk: Buffer): Buffer {
    if (this.heldBytes === 0) return chunk;
    this.held.push(chunk);
    const all = Buffer.concat(this.held, this.heldBytes + chunk.length);
    this.held.length = 0;
    this.heldBytes = 0;
    return all;
  }

  /** Steps through `input` until it is used and nothing is left to flush, minding backpressure. */
  private work(input: Buffer, end: boolean, cb: TransformCallback): void {
    let rest: Buffer | undefined = input;
    while (rest !== undefined) {
      if (this.destroyed) return;
      if (rest.length >= ASYNC_INPUT || (end && this.compressing)) {
        const from = rest;
        this.coder.stepAsync(from, end).then(
          (step) => {
            const next = this.absorb(step, from, end, cb);
            if (next !== undefined) this.work(next, end, cb);
          },
          (err) => cb(this.failure(err)),
        );
        return;
      }
      let step: ZstdStep;
      try {
        step = this.coder.step(rest, end);
      } catch (err) {
        cb(this.failure(err));
        return;
      }
      rest = this.absorb(step, rest, end, cb);
    }
  }

  /** Pushes a step's output; the input left to work now, or undefined (finished or parked). */
  private absorb(step: ZstdStep, input: Buffer, end: boolean, cb: TransformCallback): Buffer | undefined {
    const [output, used, more, frameOpen] = step;
    for (const part of output) {
      this.readRequested = false;
      this.push(part);
    }
    const rest = used === input.length ? EMPTY : input.subarray(used);
    if (rest.length === 0 && !more) {
      if (end && !this.compressing && frameOpen) cb(corrupt('cannot decompress zstd: the input ends inside a frame (truncated)'));
      else cb();
      return undefined;
    }
    if (this.readableLength >= this.readableHighWaterMark && !this.readRequested) {
      this.pending = () => this.work(rest, end, cb);
      return undefined;
    }
    return rest;
  }

  private failure(err: unknown): Error {
    if (err instanceof BerthError) return err;
    const message = (err as Error).message;
    if ((err as NodeJS.ErrnoException).code === 'EZSTD') {
      return this.compressing ? internal(`cannot compress zstd: ${message}`, { cause: err }) : corrupt(`cannot decompress zstd: ${message}`, { cause: err });
    }
    return new BerthError('internal', `cannot ${this.compressing ? 'compress' : 'decompress'} zstd: ${message}`, { cause: err });
  }
}
