// A container's log (conmon's k8s-file): read whole with docker's filters, or followed while
// the container runs (runtime/logs.ts followLogs: the file watched, read from where the last
// read stopped, so no line written between two reads is lost).
import { followLogs, type LogEntry, readLogs } from '../runtime/logs.js';
import { failedPrecondition } from '../internal/errors.js';
import { type ContainerRecord, labelsOf } from './container.js';
import { envOf } from './spec.js';
import type { ContainerHost } from './host.js';
import { refresh } from './state.js';

/**
 * docker's `logs --details` prefix: the attributes its json-file driver keeps with each line, the
 * container's labels and environment variables that --log-opt labels=... and env=... name, as
 * KEY=VALUE sorted by key, query-escaped, comma-separated; then a space (alone when none).
 */
export function logDetails(rec: ContainerRecord): string {
  const opts = rec.spec.log?.options ?? {};
  const names = (key: string) => (opts[key] ?? '').split(',').filter(Boolean);
  const attrs = new Map<string, string>();
  const labels = labelsOf(rec);
  for (const k of names('labels')) if (k in labels) attrs.set(k, labels[k]);
  const env = new Map(envOf(rec).map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, ''])));
  for (const k of names('env')) if (env.has(k)) attrs.set(k, env.get(k) as string);
  const text = [...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`);
  return `${text.join(',')} `;
}

/** Go's url.QueryEscape: all but letters, digits and -_.~ as %XX, a space as +. */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

export interface LogOptions {
  since?: Date;
  until?: Date;
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

/** Calls `onEntry` for each entry; with follow, until the container stops and its log is drained. */
export async function containerLogs(host: ContainerHost, rec: ContainerRecord, onEntry: (e: LogEntry) => void, options: LogOptions = {}): Promise<void> {
  // dockerd's words, which name no container.
  if (rec.spec.log?.driver === 'none') throw failedPrecondition('configured logging driver does not support reading');
  const file = host.records.paths(rec.id).log;
  if (!options.follow) {
    for (const e of await readLogs(file, options)) onEntry(e);
    return;
  }
  // The container has stopped once refresh says so; its monitor wrote the exit only after the
  // last output, so what the file holds then is all there is (followLogs reads it to the end).
  const done = async (): Promise<boolean> => {
    const cur = await refresh(host, await host.records.load(rec.id).catch(() => rec), { cleanup: false });
    return !cur || (cur.state.status !== 'running' && cur.state.status !== 'paused');
  };
  for await (const e of followLogs(file, { ...options, done })) onEntry(e);
}

/**
 * Attaches the caller's streams to a running container through conmon's attach socket (stdin
 * only when the container was created with -i); undefined when the attach helper is not built.
 */
export async function attachStreams(
  host: ContainerHost,
  rec: ContainerRecord,
  streams: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; detachKeys?: Buffer },
  /** The socket conmon just made, for a container not started yet (startContainer's beforeStart). */
  socket?: string,
): Promise<{ done: Promise<{ detached: boolean }>; detach(): void } | undefined> {
  const { attachContainer, attachHelperPath } = await import('../runtime/attach.js');
  const { existsSync } = await import('node:fs');
  if (!existsSync(attachHelperPath()) || (socket === undefined && rec.state.mode !== 'monitor')) return undefined;
  return attachContainer(socket ?? `${host.records.paths(rec.id).bundle}/attach`, {
    ...(streams.detachKeys ? { detachKeys: streams.detachKeys } : {}),
    stdout: streams.stdout as import('node:stream').Writable,
    stderr: streams.stderr as import('node:stream').Writable,
    ...(streams.stdin && rec.spec.openStdin ? { stdin: streams.stdin as import('node:stream').Readable } : {}),
  });
}
