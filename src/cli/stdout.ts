// Streams that verbs write to their standard output (an archive from save, export or cp): a
// failed write says what Go's CLI says ("write /dev/stdout: no space left on device").
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { systemError } from '../internal/errors.js';

/** Pipes `src` into `stdout` (left open); a failure of the write is docker's error, not Node's. */
export async function pipeToStdout(src: Readable, stdout: NodeJS.WritableStream): Promise<void> {
  let writeFailed: unknown;
  const onError = (err: unknown) => {
    writeFailed ??= err;
  };
  stdout.once('error', onError);
  try {
    await pipeline(src, stdout, { end: false });
  } catch (err) {
    if (writeFailed === undefined) throw err;
    throw systemError(writeFailed, 'write /dev/stdout');
  } finally {
    stdout.off('error', onError);
  }
}
