// A container's log (conmon's k8s-file): read whole with docker's filters, or followed while
// the container runs (the file watched, read from where the last read stopped).
import { watch } from 'node:fs';
import * as fs from 'node:fs/promises';
import { type LogEntry, parseK8sLine, readLogs } from '../runtime/logs.js';
import type { ContainerRecord } from './container.js';
import type { ContainerHost } from './host.js';
import { refresh } from './state.js';

export interface LogOptions {
  since?: Date;
  until?: Date;
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

/** Calls `onEntry` for each entry; with follow, until the container stops and its log is drained. */
export async function containerLogs(host: ContainerHost, rec: ContainerRecord, onEntry: (e: LogEntry) => void, options: LogOptions = {}): Promise<void> {
  const file = host.records.paths(rec.id).log;
  if (!options.follow) {
    for (const e of await readLogs(file, options)) onEntry(e);
    return;
  }
  const first = await readLogs(file, options);
  for (const e of first) onEntry(e);
  let offset = (await fs.stat(file).catch(() => ({ size: 0 }))).size;
  let partial = '';
  const pending: Record<string, string> = {};
  let wake: (() => void) | undefined;
  const watcher = (() => {
    try {
      return watch(file, () => wake?.());
    } catch {
      return undefined;
    }
  })();
  const drain = async () => {
    const fh = await fs.open(file, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const text = partial + buf.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const raw = parseK8sLine(line);
          if (!raw) continue;
          if (raw.partial) {
            pending[raw.stream] = (pending[raw.stream] ?? '') + raw.text;
            continue;
          }
          const joined = (pending[raw.stream] ?? '') + raw.text;
          pending[raw.stream] = '';
          onEntry({ time: raw.time, timestamp: new Date(raw.time), stream: raw.stream, text: `${joined}\n` });
        }
      }
    } finally {
      await fh.close();
    }
  };
  try {
    for (;;) {
      await drain();
      if (options.signal?.aborted) return;
      const cur = await refresh(host, await host.records.load(rec.id).catch(() => rec), { cleanup: false });
      if (!cur || (cur.state.status !== 'running' && cur.state.status !== 'paused')) {
        await drain();
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    watcher?.close();
  }
}

/**
 * Attaches the caller's streams to a running container through conmon's attach socket (stdin
 * only when the container was created with -i); undefined when the attach helper is not built.
 */
export async function attachStreams(
  host: ContainerHost,
  rec: ContainerRecord,
  streams: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<{ done: Promise<void>; detach(): void } | undefined> {
  const { attachContainer, attachHelperPath } = await import('../runtime/attach.js');
  const { existsSync } = await import('node:fs');
  if (!existsSync(attachHelperPath()) || rec.state.mode !== 'monitor') return undefined;
  const socket = `${host.records.paths(rec.id).bundle}/attach`;
  return attachContainer(socket, {
    stdout: streams.stdout as import('node:stream').Writable,
    stderr: streams.stderr as import('node:stream').Writable,
    ...(streams.stdin && rec.spec.openStdin ? { stdin: streams.stdin as import('node:stream').Readable } : {}),
  });
}
