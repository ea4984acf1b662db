// Attaching to a running container through conmon's attach socket (SOCK_SEQPACKET, byte 2 =
// stdout, 3 = stderr), via the small native/monitor helper since Node cannot open SEQPACKET.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { failedPrecondition, unavailable } from '../internal/errors.js';
import { projectRoot } from '../internal/paths.js';

export interface AttachOptions {
  /** Fed to the container's stdin (the container needs a monitor created with `stdin: true`). */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

export interface Attachment {
  /** Resolves when the container closed its output (it exited) or detach() was called. */
  done: Promise<void>;
  /** Leaves the container running. */
  detach(): void;
}

export function attachHelperPath(): string {
  return path.join(projectRoot(), 'native', 'monitor', 'build', 'berth-attach');
}

/**
 * Connects to the attach socket; resolves once connected, so a caller that attaches before
 * `start` sees all output. The writables are not ended: they may be the caller's own stdio.
 */
export async function attachContainer(attachSocket: string, options: AttachOptions): Promise<Attachment> {
  const helper = attachHelperPath();
  if (!existsSync(helper)) throw failedPrecondition(`cannot attach: ${helper} is not built (run scripts/build.sh)`);
  const child = spawn(helper, [attachSocket], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, BERTH_ATTACH_READY_FD: '3' },
    signal: options.signal,
  });
  const ready = child.stdio[3] as Readable;
  let early = '';
  const onEarly = (d: Buffer) => {
    early += d.toString('utf8');
  };
  child.stderr?.on('data', onEarly);
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => reject(unavailable(why.trim() || 'cannot attach: the attach helper failed'));
    ready.once('data', () => resolve());
    child.once('error', (e) => fail(`cannot attach: ${e.message}`));
    child.once('exit', () => setImmediate(() => fail(early)));
  });
  ready.destroy();
  child.stderr?.off('data', onEarly);
  child.stdout?.pipe(options.stdout, { end: false });
  child.stderr?.pipe(options.stderr, { end: false });
  child.stdin?.on('error', () => {});
  if (options.stdin) options.stdin.pipe(child.stdin as Writable);
  const done = new Promise<void>((resolve) => {
    child.once('close', () => {
      options.stdin?.unpipe(child.stdin as Writable);
      resolve();
    });
  });
  return {
    done,
    detach: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
