// zstd decompression as a Transform over fzstd. A small scanner walks the frame and block
// headers so input is fed in slices whose output is bounded, keeping backpressure on bombs.
import { Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';
import { corrupt } from '../internal/errors.js';

/** Most output one slice of input may promise before backpressure is looked at again. */
const SLICE_OUTPUT = 4 * 1024 * 1024;
const MAX_BLOCK = 128 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;

type State = 'magic' | 'skippable-size' | 'frame-header' | 'block-header' | 'broken';

/**
 * Follows RFC 8878's framing (frames, skippable frames, block headers, checksums) without
 * decoding, to find where the output of a run of blocks reaches a budget. An RLE block is
 * 4 bytes for 128 KiB, so slicing by input bytes alone would not bound the output.
 */
class FrameScanner {
  private state: State = 'magic';
  private readonly acc = Buffer.alloc(4);
  private accLen = 0;
  private skip = 0;
  private after: State = 'magic';
  private checksum = false;

  /** The end index of the next slice of `chunk` from `from`: at most `budget` bytes of output. */
  sliceEnd(chunk: Uint8Array, from: number, budget: number): number {
    let i = from;
    let out = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        i += n;
        this.skip -= n;
        if (this.skip === 0) {
          this.state = this.after;
          if (out >= budget) return i;
        }
        continue;
      }
      if (this.state === 'broken') return chunk.length; // let the decoder report it
      this.acc[this.accLen++] = chunk[i++];
      switch (this.state) {
        case 'magic': {
          if (this.accLen < 4) continue;
          this.accLen = 0;
          const magic = this.acc.readUInt32LE(0);
          if (magic === ZSTD_MAGIC) this.state = 'frame-header';
          else if (magic >>> 4 === 0x184d2a5) this.state = 'skippable-size';
          else this.state = 'broken';
          continue;
        }
        case 'skippable-size':
          if (this.accLen < 4) continue;
          this.accLen = 0;
          this.jump(this.acc.readUInt32LE(0), 'magic');
          continue;
        case 'frame-header': {
          const fhd = this.acc[0];
          this.accLen = 0;
          const singleSegment = (fhd >> 5) & 1;
          this.checksum = ((fhd >> 2) & 1) === 1;
          const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6];
          const dictSize = [0, 1, 2, 4][fhd & 3];
          this.jump((singleSegment ? 0 : 1) + dictSize + fcsSize, 'block-header');
          continue;
        }
        case 'block-header': {
          if (this.accLen < 3) continue;
          this.accLen = 0;
          const b0 = this.acc[0];
          const last = (b0 & 1) === 1;
          const type = (b0 >> 1) & 3;
          const size = (b0 >> 3) | (this.acc[1] << 5) | (this.acc[2] << 13);
          if (type === 3) {
            this.state = 'broken';
            continue;
          }
          out += type === 2 ? MAX_BLOCK : size;
          const next: State = last ? 'magic' : 'block-header';
          this.jump(type === 1 ? 1 : size, next);
          if (last && this.checksum) this.skip += 4;
          if (this.skip === 0 && out >= budget) return i;
          continue;
        }
      }
    }
    return i;
  }

  private jump(n: number, next: State): void {
    this.after = next;
    if (n === 0) this.state = next;
    else this.skip = n;
  }
}

/** zstd decompression (fzstd), multi-frame, with backpressure between bounded slices. */
export class ZstdDecompress extends Transform {
  private readonly decoder: Decompress;
  private readonly scanner = new FrameScanner();
  private pending: (() => void) | undefined;
  /**
   * Node called _read() and nothing was pushed since: it will not call it again before a
   * push, so feeding must not wait then, even if a consumer's unshift() filled the buffer.
   */
  private readRequested = false;

  constructor() {
    super({ readableHighWaterMark: 64 * 1024 });
    this.decoder = new Decompress((chunk) => {
      if (chunk.length > 0) {
        this.readRequested = false;
        this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    });
  }

  override _read(size: number): void {
    this.readRequested = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.feed(chunk, 0, cb);
  }

  private feed(chunk: Buffer, from: number, cb: TransformCallback): void {
    let at = from;
    try {
      while (at < chunk.length) {
        const end = this.scanner.sliceEnd(chunk, at, SLICE_OUTPUT);
        this.decoder.push(chunk.subarray(at, end));
        at = end;
        if (at < chunk.length && this.readableLength >= this.readableHighWaterMark && !this.readRequested) {
          this.pending = () => this.feed(chunk, at, cb);
          return;
        }
      }
    } catch (err) {
      cb(corrupt(`cannot decompress zstd: ${(err as Error).message}`, { cause: err }));
      return;
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
    } catch (err) {
      cb(corrupt(`cannot decompress zstd: ${(err as Error).message}`, { cause: err }));
      return;
    }
    cb();
  }
}
