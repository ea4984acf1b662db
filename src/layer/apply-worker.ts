// One thread of the layer-apply pool (apply-pool.ts): applies one layer at a time from the
// bytes its job's port brings, and answers with the diffID or the error as kind + message.
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { aborted } from '../internal/errors.js';
import { applyLayer } from './apply.js';
import { type ApplyJob, deserializeError, type FromThread, serializeError, type ToThread } from './apply-messages.js';

/** Bytes buffered ahead of the decompressor before acks are held back (the pool's window adds its own). */
const INPUT_BUFFER = 2 << 20;

parentPort?.on('message', (job: ApplyJob) => {
  void run(job);
});

async function run({ port, target, options }: ApplyJob): Promise<void> {
  const send = (msg: FromThread) => port.postMessage(msg);
  const controller = new AbortController();
  // A chunk is acked when the stream takes it below its mark, else when it next asks for more.
  let owed = 0;
  const input = new Readable({
    highWaterMark: INPUT_BUFFER,
    read() {
      if (owed === 0) return;
      send({ type: 'ack', count: owed });
      owed = 0;
    },
  });
  port.on('message', (msg: ToThread) => {
    switch (msg.type) {
      case 'data':
        if (input.push(Buffer.from(msg.bytes, 0, msg.length))) send({ type: 'ack', count: 1 });
        else owed++;
        break;
      case 'end':
        input.push(null);
        break;
      case 'error':
        input.destroy(deserializeError(msg.error));
        break;
      case 'abort':
        controller.abort();
        // The signal reaches only the stages already running; the input must end as well.
        input.destroy(aborted(`cannot apply layer to ${target}: aborted`));
        break;
    }
  });
  try {
    const result = await applyLayer(input, target, { ...options, signal: controller.signal });
    send({ type: 'done', result });
  } catch (err) {
    input.destroy();
    send({ type: 'failed', error: serializeError(err) });
  }
  // The pool closes the port once it has the answer; this side only stops listening.
  port.removeAllListeners('message');
  port.unref();
}
