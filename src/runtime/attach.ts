// Attaching to a running container through conmon's attach socket (SOCK_SEQPACKET, byte 2 =
// stdout, 3 = stderr), via the small native/monitor helper since Node cannot open SEQPACKET.
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { failedPrecondition, invalidArgument, unavailable } from '../internal/errors.js';
import { projectRoot } from '../internal/paths.js';

export interface AttachOptions {
  /** Fed to the container's stdin (the container needs a monitor created with `stdin: true`). */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
  /** Typed on stdin, this sequence detaches instead of reaching the container (parseDetachKeys). */
  detachKeys?: Buffer;
}

export interface Attachment {
  /** Resolves when the container closed its output (it exited), detach() was called, or the detach keys were typed (detached: true). */
  done: Promise<{ detached: boolean }>;
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
  const child = spawn(helper, [attachSocket, ...(options.detachKeys?.length ? [options.detachKeys.toString('hex')] : [])], {
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
  const done = new Promise<{ detached: boolean }>((resolve) => {
    child.once('close', (code) => {
      options.stdin?.unpipe(child.stdin as Writable);
      resolve({ detached: code === 3 });
    });
  });
  return {
    done,
    detach: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/**
 * docker's --detach-keys: comma-separated keys, each "ctrl-X" (X a letter or one of @ [ \ ] ^ _)
 * or a single character; "" turns detaching off. Default ctrl-p,ctrl-q.
 */
export function parseDetachKeys(text: string): Buffer {
  if (text === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const key of text.split(',')) {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1].toLowerCase();
      const special = '@[\\]^_'.indexOf(c);
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if (special >= 0) out.push(special === 0 ? 0 : 26 + special);
      else throw invalidArgument(`invalid detach keys (${text}) provided: "${key}" is no ctrl-<a-z@[\\]^_> key`);
    } else if (key.length === 1) out.push(key.charCodeAt(0));
    else throw invalidArgument(`invalid detach keys (${text}) provided: "${key}" is neither a character nor ctrl-<key>`);
  }
  return Buffer.from(out);
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Tells conmon the terminal's size (its ctl FIFO in the bundle: "1 ROWS COLUMNS"). */
export function resizeTerminal(bundle: string, rows: number, columns: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(path.join(bundle, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, `1 ${rows} ${columns}\n`);
  } catch {
    // conmon gone (the container stopped) or not listening: nothing to resize
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
