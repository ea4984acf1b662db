// The addon's libzstd streams (native/zstd.c).
import { native } from './sys.js';

/**
 * One bounded step of a zstd stream: the output (at most 4 MiB), how many input bytes were
 * used, whether more output may come without more input, and (decompressing) whether the
 * input stopped inside a frame.
 */
export type ZstdStep = [output: Buffer[], used: number, more: boolean, frameOpen: boolean];

/**
 * A libzstd stream (ZSTD_DCtx or ZSTD_CCtx). Call step() or stepAsync() with the input not
 * yet used until it is all used and `more` is false; with `end` set, a compressor finishes
 * its frame. Errors carry code 'EZSTD' and libzstd's message. One step at a time.
 */
export class ZstdCoder {
  private readonly handle: object;

  constructor(compress: boolean, level = 3) {
    this.handle = native().zstdCreate(compress, level);
  }

  /** One step on this thread (for small inputs). */
  step(input: Buffer, end: boolean): ZstdStep {
    return native().zstdProcess(this.handle, input, end);
  }

  /** One step on libuv's thread pool (for big inputs: the event loop stays free). */
  stepAsync(input: Buffer, end: boolean): Promise<ZstdStep> {
    return native().zstdProcessAsync(this.handle, input, end);
  }
}
