// applyLayer on worker threads: decompressing, parsing, hashing and writing a layer keeps a
// core busy, so each layer of a pull gets its own thread while the main thread downloads.
import { availableParallelism } from 'node:os';
import { finished, type Readable } from 'node:stream';
import { MessageChannel, Worker } from 'node:worker_threads';
import { aborted, BerthError } from '../internal/errors.js';
import type { AppliedLayer, ApplyOptions } from './apply.js';
import { type ApplyJob, deserializeError, type FromThread, type JobOptions, serializeError, type ToThread } from './apply-messages.js';

/** The layer's bytes go to the thread in buffers of this size, copied once and transferred. */
const CHUNK = 1 << 20;
/** Chunks sent and not yet taken by the thread; the source is paused beyond. */
const WINDOW = 4;

export interface LayerApplyPoolOptions {
  /** Threads at most; default the machine's parallelism. Further layers wait for a free one. */
  size?: number;
}

/**
 * A bounded set of threads that run applyLayer. Threads start on demand and are kept for the
 * next layer; an idle thread does not keep the process alive, a busy one does. The result and
 * the errors are those of applyLayer (same kinds, same messages), and a call settles only
 * after its thread stopped touching the target, so a caller may remove the target at once.
 */
export class LayerApplyPool {
  private readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly waiting: { take: (w: Worker) => void }[] = [];
  private threads = 0;

  constructor(options: LayerApplyPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
  }

  /** applyLayer(source, target, options), on a thread of the pool. */
  async apply(source: Readable, target: string, options: ApplyOptions): Promise<AppliedLayer> {
    const { signal } = options;
    if (signal?.aborted) {
      source.destroy();
      throw aborted(`cannot apply layer to ${target}: aborted`);
    }
    const worker = await this.acquire(signal);
    if (!worker) {
      source.destroy();
      throw aborted(`cannot apply layer to ${target}: aborted`);
    }
    let healthy = true;
    try {
      return await runJob(worker, source, target, options);
    } catch (err) {
      healthy = !(err instanceof ThreadGone);
      throw err instanceof ThreadGone ? new BerthError('internal', `cannot apply layer to ${target}: ${err.message}`) : err;
    } finally {
      if (healthy) this.release(worker);
    }
  }

  /** A free thread (started if the pool has room), or undefined when the signal fires first. */
  private acquire(signal: AbortSignal | undefined): Promise<Worker | undefined> {
    const free = this.idle.pop();
    if (free) {
      free.ref();
      return Promise.resolve(free);
    }
    if (this.threads < this.size) return Promise.resolve(this.start());
    return new Promise((resolve) => {
      const waiter = {
        take: (w: Worker) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(w);
        },
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) {
      next.take(worker);
      return;
    }
    worker.unref();
    this.idle.push(worker);
  }

  private start(): Worker {
    // The extractor closes fds the native addon opened; tracking would warn about each one.
    const worker = new Worker(new URL('./apply-worker.js', import.meta.url), {
      trackUnmanagedFds: false,
      // Flags such as --cpu-prof carry over; --input-type (node -e) would refuse the thread's file.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
    });
    this.threads++;
    worker.on('error', (err) => threadErrors.set(worker, err)); // reported to the job at 'exit'
    worker.once('exit', () => {
      this.threads--;
      const at = this.idle.indexOf(worker);
      if (at !== -1) this.idle.splice(at, 1);
      // Someone waits for a thread that will now never be released: give them a new one.
      const next = this.threads < this.size ? this.waiting.shift() : undefined;
      next?.take(this.start());
    });
    return worker;
  }
}

/** The thread died under a job (a crash, or terminate): the thread is not reused. */
class ThreadGone extends Error {}

/** Why a thread died, for the job it takes down with it. */
const threadErrors = new WeakMap<Worker, Error>();

/** Streams `source` to the thread and settles with its answer, after the thread is done. */
function runJob(worker: Worker, source: Readable, target: string, options: ApplyOptions): Promise<AppliedLayer> {
  const { port1: port, port2 } = new MessageChannel();
  const job: ApplyJob = { port: port2, target, options: jobOptions(options) };
  worker.postMessage(job, [port2]);
  const post = (msg: ToThread, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);

  return new Promise<AppliedLayer>((resolve, reject) => {
    let credits = WINDOW;
    // Not zero-filled (a third of the cost of a chunk): the thread reads only `used` bytes.
    let view = Buffer.allocUnsafeSlow(CHUNK);
    let bytes = view.buffer as ArrayBuffer;
    let used = 0;
    let settled = false;
    const flushChunk = () => {
      post({ type: 'data', bytes, length: used }, [bytes]);
      credits--;
      view = Buffer.allocUnsafeSlow(CHUNK);
      bytes = view.buffer as ArrayBuffer;
      used = 0;
    };
    const onData = (chunk: Buffer) => {
      for (let off = 0; off < chunk.length; ) {
        const n = chunk.copy(view, used, off);
        used += n;
        off += n;
        if (used === CHUNK) flushChunk();
      }
      if (credits <= 0) source.pause();
    };
    // The thread ends the apply as applyLayer does on abort; the source goes when it answers.
    let abortSent = false;
    const onAbort = () => {
      abortSent = true;
      post({ type: 'abort' });
      source.pause();
    };
    const onExit = (code: number) => {
      const why = threadErrors.get(worker)?.message ?? `exit code ${code}`;
      settle(new ThreadGone(`the layer thread died: ${why}`));
    };
    const settle = (err: Error | undefined, result?: AppliedLayer) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      options.signal?.removeEventListener('abort', onAbort);
      worker.off('exit', onExit);
      port.close();
      if (err) {
        source.destroy();
        reject(err);
      } else resolve(result!);
    };

    port.on('message', (msg: FromThread) => {
      if (msg.type === 'ack') {
        credits += msg.count;
        if (credits > 0 && source.isPaused() && !settled && !abortSent) source.resume();
      } else if (msg.type === 'done') settle(undefined, msg.result);
      else settle(deserializeError(msg.error));
    });
    worker.once('exit', onExit);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    source.on('data', onData);
    finished(source, (err) => {
      if (settled || abortSent) return;
      if (err) return post({ type: 'error', error: serializeError(err) });
      if (used > 0) flushChunk();
      post({ type: 'end' });
    });
  });
}

function jobOptions(options: ApplyOptions): JobOptions {
  const out: JobOptions = { mode: options.mode };
  if (options.maxEntries !== undefined) out.maxEntries = options.maxEntries;
  if (options.maxDepth !== undefined) out.maxDepth = options.maxDepth;
  if (options.preserveOwnership !== undefined) out.preserveOwnership = options.preserveOwnership;
  if (options.maxEntrySize !== undefined) out.maxEntrySize = options.maxEntrySize;
  return out;
}

let shared: LayerApplyPool | undefined;

/** applyLayer on the process's shared pool: the store's default applier. */
export function applyLayerInWorker(source: Readable, target: string, options: ApplyOptions): Promise<AppliedLayer> {
  shared ??= new LayerApplyPool();
  return shared.apply(source, target, options);
}
