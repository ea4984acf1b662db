// The event log of a daemonless engine: every command that changes a container or an image
// appends one JSON line (docker's events message) to <runroot>/events.log, and `berth events`
// reads and follows it, as podman's file event logger does. The run root is a tmpfs: the log
// lasts until reboot, as docker's in-memory event buffer does not even last a daemon restart.
import { closeSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { invalidArgument } from '../internal/errors.js';
import * as path from 'node:path';
import { type ContainerRecord, labelsOf } from './container.js';
import { labelMatches } from './labels.js';

/** docker's event types berth emits. */
export type EventType = 'container' | 'image' | 'volume';

/** One event as docker's API sends it (GET /events): Type, Action, Actor, time in s and ns. */
export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** Past this size the log moves to events.log.1 (the one before is dropped): two files at most. */
export const EVENTS_LOG_MAX = 4 * 1024 * 1024;

export function eventsLogPath(runroot: string): string {
  return path.join(runroot, 'events.log');
}

/**
 * Appends an event. One write(2) of one line on an O_APPEND descriptor: lines of concurrent
 * commands never interleave. Best effort: an event that cannot be written is dropped, never
 * the command's failure.
 */
/** The wall clock at this process's first event, in ns, and the monotonic clock then. */
let clockBase: { wallNs: bigint; hrNs: bigint } | undefined;

/**
 * The wall clock in ns, never going back within a command: the wall clock's millisecond at the
 * first event, then the monotonic clock's ns. (Node's `performance` would give the same, but
 * its first use loads perf_hooks and ten internal modules, ~0.5 ms of every command.)
 */
function wallClockNs(): bigint {
  clockBase ??= { wallNs: BigInt(Date.now()) * 1_000_000n, hrNs: process.hrtime.bigint() };
  return clockBase.wallNs + (process.hrtime.bigint() - clockBase.hrNs);
}

export function recordEvent(runroot: string, type: EventType, action: string, id: string, attributes: Record<string, string> = {}, maxSize = EVENTS_LOG_MAX): void {
  const nowNs = wallClockNs();
  const event: EngineEvent = {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'local',
    time: Number(nowNs / 1_000_000_000n),
    timeNano: Number(nowNs),
  };
  const file = eventsLogPath(runroot);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'a', 0o600);
    writeSync(fd, `${JSON.stringify(event)}\n`);
    if (fstatSync(fd).size > maxSize) renameSync(file, `${file}.1`);
  } catch {
    // no run root yet, or a full tmpfs: the event is lost, the command goes on
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A container's event with docker's attributes: its labels, image and name, then `extra`. */
export function containerEvent(runroot: string, rec: Pick<ContainerRecord, 'id' | 'name' | 'spec' | 'source'>, action: string, extra: Record<string, string> = {}): void {
  recordEvent(runroot, 'container', action, rec.id, { ...labelsOf(rec), image: rec.spec.image, name: rec.name, ...extra });
}

/** A signal as the runtime takes it: a number as given, a name as "SIGTERM" ("term" and "TERM" too). */
export function signalName(signal: string): string {
  if (/^\d+$/.test(signal)) return signal;
  const upper = signal.toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}

/**
 * A signal as docker's daemon parses one (kill -s, --stop-signal): a number other than 0, or a
 * name it knows, with or without SIG, in any case (SIGRTMIN+3 too); else docker's error.
 */
export function checkSignal(signal: string): string {
  const name = signalName(signal);
  const known = /^\d+$/.test(name) ? Number(name) !== 0 : name in constants.signals || /^SIGRTM(IN|AX)([+-]\d+)?$/.test(name);
  if (!known) throw invalidArgument(`Invalid signal: ${signal}`);
  return name;
}

/** docker's kill event names the signal by number ("SIGTERM" and "TERM" -> "15"). */
export function signalNumber(signal: string): string {
  const name = signalName(signal);
  return /^\d+$/.test(name) ? name : String(constants.signals[name as keyof typeof constants.signals] ?? signal);
}

export interface EventFilter {
  /** docker's --filter keys (container, image, event, type, label, scope, ...); a key's values are ORed. */
  [key: string]: string[];
}

/**
 * The keys dockerd matches by name (its fuzzyMatchName): a value that starts the actor's ID or
 * its name attribute, whatever the event's type (container=web matches web-1, and a container's
 * events under network=web too, as dockerd's do).
 */
const BY_NAME = new Set(['container', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']);

/** Whether an event passes docker's filters (each key must match one of its values; dockerd ignores a key it does not know). */
export function eventMatches(e: EngineEvent, filters: EventFilter): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const attrs = e.Actor.Attributes;
    const ok = values.some((v) => {
      if (BY_NAME.has(key)) return e.Actor.ID.startsWith(v) || (attrs.name ?? '').startsWith(v);
      switch (key) {
        case 'type':
          return e.Type === v;
        case 'event':
          return e.Action === v || e.Action.startsWith(`${v}:`);
        case 'scope':
          return e.scope === v;
        case 'image':
          return attrs.image === v || (e.Type === 'image' && (e.Actor.ID === v || e.Actor.ID.replace(/^sha256:/, '').startsWith(v.replace(/^sha256:/, '')) || attrs.name === v));
        case 'label':
          return labelMatches(attrs, v);
        default:
          return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}

/** The events in the log (the rotated file first) with time in [since, until), filtered. */
export function readEvents(runroot: string, options: { since?: number; until?: number; filters?: EventFilter } = {}): EngineEvent[] {
  const file = eventsLogPath(runroot);
  const out: EngineEvent[] = [];
  for (const f of [`${file}.1`, file]) {
    for (const e of parseLines(readAll(f))) if (inWindow(e, options) && eventMatches(e, options.filters ?? {})) out.push(e);
  }
  return out;
}

function inWindow(e: EngineEvent, w: { since?: number; until?: number }): boolean {
  return (w.since === undefined || e.timeNano >= w.since * 1e6) && (w.until === undefined || e.timeNano < w.until * 1e6);
}

function readAll(file: string): string {
  try {
    const fd = openSync(file, 'r');
    try {
      return readFrom(fd, 0).text;
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** The complete lines from `offset` on, and the offset after them (a half-written line waits). */
function readFrom(fd: number, offset: number): { text: string; next: number } {
  const chunks: Buffer[] = [];
  let pos = offset;
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    pos += n;
  }
  const all = Buffer.concat(chunks);
  const end = all.lastIndexOf(0x0a) + 1;
  return { text: all.subarray(0, end).toString('utf8'), next: offset + end };
}

function parseLines(text: string): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const e = JSON.parse(line) as EngineEvent;
      if (e && typeof e.Action === 'string' && typeof e.timeNano === 'number' && e.Actor && typeof e.Actor.ID === 'string') out.push(e);
    } catch {
      // a line cut short by a crash: skipped
    }
  }
  return out;
}

/**
 * Follows the log from its current end: calls `onEvent` for each new event that passes the
 * filters, until `signal` aborts or `until` (ms since the epoch) passes. A rotation is seen
 * as the file shrinking or changing inode: the new file is read from its start.
 */
export async function followEvents(
  runroot: string,
  onEvent: (e: EngineEvent) => void,
  options: { until?: number; filters?: EventFilter; signal?: AbortSignal; pollMs?: number } = {},
): Promise<void> {
  const file = eventsLogPath(runroot);
  const stat = () => {
    try {
      const st = statSync(file);
      return { ino: st.ino, size: st.size };
    } catch {
      return { ino: -1, size: 0 };
    }
  };
  let cur = stat();
  let offset = cur.size;
  const pollMs = options.pollMs ?? 100;
  while (!options.signal?.aborted && (options.until === undefined || Date.now() < options.until)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, pollMs);
      options.signal?.addEventListener('abort', done, { once: true });
    });
    const now = stat();
    if (now.ino !== cur.ino || now.size < offset) offset = 0;
    cur = now;
    if (now.size === offset) continue;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      continue;
    }
    try {
      const { text, next } = readFrom(fd, offset);
      offset = next;
      for (const e of parseLines(text)) {
        if (options.until !== undefined && e.timeNano >= options.until * 1e6) return;
        if (eventMatches(e, options.filters ?? {})) onEvent(e);
      }
    } finally {
      closeSync(fd);
    }
  }
}
