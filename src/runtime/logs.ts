// Reads a container's log as conmon writes it (k8s-file: "TIME STREAM P|F TEXT" per line),
// joining partial lines, with docker's --since/--until/--tail filters.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { BerthError } from '../internal/errors.js';

export interface LogEntry {
  /** The time conmon read the bytes, as written (RFC 3339 with nanoseconds). */
  time: string;
  timestamp: Date;
  stream: 'stdout' | 'stderr';
  /** The text, with its newline when the line was complete. */
  text: string;
}

interface RawLine {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

/** One k8s-file line; undefined when it is not one. */
export function parseK8sLine(line: string): RawLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4] };
}

export interface ReadLogOptions {
  since?: Date;
  until?: Date;
  /** Only the last N entries. */
  tail?: number;
  signal?: AbortSignal;
}

/** The complete entries of a log file (partial lines joined), oldest first. */
export async function readLogs(logPath: string, options: ReadLogOptions = {}): Promise<LogEntry[]> {
  let input: ReturnType<typeof createReadStream>;
  try {
    await fs.access(logPath);
    input = createReadStream(logPath, { encoding: 'utf8', signal: options.signal });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw BerthError.wrap(err, `cannot read container log ${logPath}`);
  }
  const out: LogEntry[] = [];
  const pending: Record<string, RawLine | undefined> = {};
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    const raw = parseK8sLine(line);
    if (!raw) continue;
    const prev = pending[raw.stream];
    const joined = prev ? { ...prev, text: prev.text + raw.text, partial: raw.partial } : raw;
    if (joined.partial) {
      pending[raw.stream] = joined;
      continue;
    }
    pending[raw.stream] = undefined;
    push(out, joined, `${joined.text}\n`, options);
  }
  for (const rest of Object.values(pending)) if (rest) push(out, rest, rest.text, options);
  if (options.tail !== undefined && options.tail >= 0) return out.slice(Math.max(0, out.length - options.tail));
  return out;
}

function push(out: LogEntry[], raw: RawLine, text: string, options: ReadLogOptions): void {
  const timestamp = new Date(raw.time);
  if (options.since && timestamp < options.since) return;
  if (options.until && timestamp > options.until) return;
  out.push({ time: raw.time, timestamp, stream: raw.stream, text });
}
