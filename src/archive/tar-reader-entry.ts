// One entry handed out by readTar: its body as a lazily made Readable that pulls from the
// shared source with backpressure, or whole as a Buffer, or skipped.
import { Readable } from 'node:stream';
import { aborted, corrupt, failedPrecondition, resourceExhausted } from '../internal/errors.js';
import type { ByteSource } from './byte-source.js';
import type { TarHeader } from './entry.js';
import { BLOCK } from './tar-header.js';
import type { TarReaderEntry } from './tar-reader.js';

const DEFAULT_READ_ALL = 64 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** A Readable whose _read asks its owner for more. */
class BodyStream extends Readable {
  constructor(
    private readonly pull: () => void,
    private readonly onDestroy: () => void,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {
    this.pull();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.onDestroy();
    cb(err);
  }
}

/**
 * A body that is already whole in memory: an ended stream holding one chunk. Its async
 * iterator skips the general machinery of Readable's (listeners, end-of-stream tracking),
 * which costs more than the read itself for the many tiny files of a layer.
 */
class ReadyBody extends Readable {
  /** The bytes not yet handed out (pushed on first read, or yielded by the iterator). */
  private data: Buffer | undefined;

  constructor(data: Buffer) {
    super();
    this.data = data;
  }

  override _read(): void {
    const data = this.data;
    this.data = undefined;
    if (data !== undefined && data.length > 0) this.push(data);
    this.push(null);
  }

  override [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    const data = this.data;
    if (data === undefined || this.readableDidRead || this.listenerCount('data') > 0 || this.listenerCount('readable') > 0) {
      return super[Symbol.asyncIterator]();
    }
    this.data = undefined;
    this.push(null);
    this.read(0); // emits 'end' and 'close' as a drained stream would, for finished() and friends
    return (async function* () {
      if (data.length > 0) yield data;
    })();
  }
}

export class ReaderEntry implements TarReaderEntry {
  readonly header: TarHeader;
  private readonly input: ByteSource;
  /** Body bytes in the archive (a sparse file stores fewer than header.size). */
  private readonly size: number;
  /** Body bytes still in the source. */
  private remaining: number;
  private padding: number;
  private stream: Readable | undefined;
  private pumping = false;
  /** _read() came while a pump was finishing: pump again once it is done, or the body stalls. */
  private pullAgain = false;
  private failure: unknown;
  private settle: (() => void) | undefined;
  private discarding: Promise<void> | undefined;

  constructor(header: TarHeader, input: ByteSource, size: number) {
    this.header = header;
    this.input = input;
    this.size = size;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
  }

  get body(): Readable {
    if (this.stream !== undefined) return this.stream;
    if (this.discarding !== undefined && this.size > 0) {
      // The bytes are gone (skipped, taken by readAll, or the reader moved on): say so on read.
      const err = failedPrecondition(`cannot read the body of ${this.header.name}: it was already skipped or read`);
      return (this.stream = new Readable({
        read() {
          this.destroy(err);
        },
      }));
    }
    if (this.discarding !== undefined || this.remaining === 0) {
      // Nothing left to read (empty, skipped or taken whole): an ended stream.
      if (this.remaining === 0 && this.discarding === undefined) this.discarding = this.dropPadding();
      return (this.stream = new ReadyBody(EMPTY));
    }
    const input = this.input;
    if (input.available >= this.remaining + this.padding) {
      // The whole body is already here: hand it over in one piece, no pump needed.
      const data = input.take(this.remaining);
      input.take(this.padding);
      this.remaining = 0;
      this.padding = 0;
      return (this.stream = new ReadyBody(data));
    }
    const stream = new BodyStream(
      () => this.pull(),
      () => this.check(),
    );
    this.stream = stream;
    return stream;
  }

  async readAll(maxBytes = DEFAULT_READ_ALL): Promise<Buffer> {
    if (this.stream !== undefined || this.discarding !== undefined) {
      throw failedPrecondition(`cannot read the body of ${this.header.name}: it was already streamed or skipped`);
    }
    const size = this.remaining;
    if (size > maxBytes) throw resourceExhausted(`cannot read the body of ${this.header.name}: ${size} bytes is over the limit of ${maxBytes}`);
    const data = await this.input.read(size);
    this.remaining -= data.length;
    if (data.length < size) throw this.truncated();
    this.discarding = this.dropPadding();
    await this.discarding;
    return data;
  }

  skip(): Promise<void> {
    if (this.stream !== undefined && !this.stream.destroyed && !this.stream.readableEnded) this.stream.destroy();
    return this.finish();
  }

  /** Called by the reader before it moves on: waits for a streaming body, else drops the rest. */
  async finish(): Promise<void> {
    if (this.stream instanceof BodyStream) {
      await new Promise<void>((resolve) => {
        this.settle = resolve;
        this.check();
      });
      if (this.failure !== undefined) throw this.failure;
    }
    this.discarding ??= this.discardRest();
    await this.discarding;
  }

  /** The reader is going away (loop left early or failed): end a body still being read. */
  abandon(): void {
    if (this.stream !== undefined && !this.stream.destroyed && !this.stream.readableEnded) {
      this.stream.destroy(aborted(`cannot read the body of ${this.header.name}: the tar reader was closed`));
    }
  }

  private truncated() {
    const size = this.size;
    return corrupt(`cannot read tar: truncated body of ${this.header.name}: got ${size - this.remaining} of ${size} bytes`, {
      detail: { size, got: size - this.remaining },
    });
  }

  /** Resolves a waiting finish() once the pump is idle and the body is done or abandoned. */
  private check(): void {
    if (this.settle === undefined || this.pumping) return;
    const stream = this.stream!;
    if (this.failure !== undefined || stream.destroyed || (this.remaining === 0 && this.padding === 0)) {
      const settle = this.settle;
      this.settle = undefined;
      settle();
    }
  }

  private pull(): void {
    if (this.pumping) {
      this.pullAgain = true;
      return;
    }
    this.pumping = true;
    this.pullAgain = false;
    this.pump().then(
      () => {
        this.pumping = false;
        if (this.pullAgain && this.remaining > 0 && !this.stream!.destroyed) {
          this.pull();
          return;
        }
        this.check();
      },
      (err: unknown) => {
        this.pumping = false;
        this.failure = err;
        this.stream!.destroy(err as Error);
        this.check();
      },
    );
  }

  private async pump(): Promise<void> {
    const input = this.input;
    const stream = this.stream!;
    while (this.remaining > 0) {
      if (stream.destroyed) return;
      if (input.available === 0 && !(await input.fill())) throw this.truncated();
      if (stream.destroyed) return;
      const chunk = input.take(this.remaining);
      this.remaining -= chunk.length;
      if (this.remaining === 0) {
        await this.dropPadding();
        stream.push(chunk);
        stream.push(null);
        return;
      }
      if (!stream.push(chunk)) return;
    }
  }

  private async dropPadding(): Promise<void> {
    const pad = this.padding;
    this.padding = 0;
    if (pad > 0 && (await this.input.skip(pad)) < pad) {
      throw corrupt(`cannot read tar: truncated archive: padding after ${this.header.name} cut short`);
    }
  }

  private async discardRest(): Promise<void> {
    const want = this.remaining;
    if (want > 0) {
      const got = await this.input.skip(want);
      this.remaining -= got;
      if (got < want) throw this.truncated();
    }
    await this.dropPadding();
  }
}
