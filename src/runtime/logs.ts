// Reads a container's log as conmon writes it (k8s-file: "TIME STREAM P|F TEXT" per line),
// joining partial lines, with docker's --since/--until/--tail filters: as docker's, --tail
// takes the last lines first and the times filter those.
import { createReadStream, type FSWatcher, watch } from 'node:fs';
import * as fs from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
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

/**
 * The entries of k8s-file lines fed one at a time: a partial line (P) waits for the rest of its
 * stream's line; `flush` gives what is still waiting (a log cut short), without a newline.
 */
function entryJoiner() {
  const pending: Record<string, RawLine | undefined> = {};
  return {
    line(line: string, out: LogEntry[]): void {
      const raw = parseK8sLine(line);
      if (!raw) return;
      const prev = pending[raw.stream];
      const joined = prev ? { ...prev, text: prev.text + raw.text, partial: raw.partial } : raw;
      pending[raw.stream] = joined.partial ? joined : undefined;
      if (!joined.partial) push(out, joined, `${joined.text}\n`);
    },
    flush(out: LogEntry[]): void {
      for (const [stream, p] of Object.entries(pending)) {
        if (p) push(out, p, p.text);
        pending[stream] = undefined;
      }
    },
  };
}

/**
 * The complete entries of a log file (partial lines joined), oldest first. Lines end at "\n"
 * only: a terminal's output keeps its "\r" (docker's logs show it), and text after a lone "\r"
 * is part of its line.
 */
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
  const joiner = entryJoiner();
  let rest = '';
  for await (const chunk of input) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) joiner.line(line, out);
  }
  if (rest !== '') joiner.line(rest, out);
  joiner.flush(out);
  return lastLines(out, options.tail).filter((e) => notBefore(e, options) && notAfter(e, options));
}

/** The last `tail` entries (all when it is undefined or negative). */
function lastLines(entries: LogEntry[], tail: number | undefined): LogEntry[] {
  return tail !== undefined && tail >= 0 ? entries.slice(Math.max(0, entries.length - tail)) : entries;
}

const notBefore = (e: LogEntry, w: { since?: Date }) => !w.since || e.timestamp >= w.since;
const notAfter = (e: LogEntry, w: { until?: Date }) => !w.until || e.timestamp <= w.until;

export interface FollowLogOptions {
  /** Only the last N entries already in the file, then everything new. */
  tail?: number;
  since?: Date;
  until?: Date;
  /** Checked whenever the file has no new bytes: true ends the stream (e.g. the exit file exists). */
  done?: () => Promise<boolean>;
  signal?: AbortSignal;
  /** Poll interval while idle; a file watch wakes sooner. Default 100 ms. */
  pollMs?: number;
}

/**
 * The log as it grows (`logs -f`, attached `run`): existing entries, then new ones, until
 * `done()` says the writer finished and every byte was read, the signal aborts, or (as docker's
 * follow) an entry comes that is later than `until`.
 */
export async function* followLogs(logPath: string, options: FollowLogOptions = {}): AsyncGenerator<LogEntry> {
  const joiner = entryJoiner();
  let offset = 0;
  let rest = '';
  let first = true;
  const pollMs = options.pollMs ?? 100;
  const take = (chunk: string): LogEntry[] => {
    const out: LogEntry[] = [];
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) joiner.line(line, out);
    return out;
  };
  // Bytes are decoded across reads: a character split between two reads is not mangled.
  const decoder = new StringDecoder('utf8');
  // The file's changes wake the wait at once; the poll is the fallback (and covers a log that
  // does not exist yet, which cannot be watched).
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const watchLog = () => {
    if (watcher) return;
    try {
      watcher = watch(logPath, () => wake?.());
      watcher.on('error', () => {});
    } catch {}
  };
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      watchLog();
      let chunk = '';
      let fh: fs.FileHandle | undefined;
      try {
        fh = await fs.open(logPath, 'r');
        const st = await fh.stat();
        if (st.size < offset) offset = 0; // rotated or truncated: start over
        // The first read takes everything there is, so --tail applies to what existed.
        while (st.size > offset) {
          const buf = Buffer.alloc(Math.min(st.size - offset, 4 * 1024 * 1024));
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          chunk += decoder.write(buf.subarray(0, bytesRead));
          if (!first) break;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw BerthError.wrap(err, `cannot read container log ${logPath}`);
      } finally {
        await fh?.close();
      }
      let entries = take(chunk);
      if (first) {
        first = false;
        entries = lastLines(entries, options.tail);
      }
      for (const e of entries) {
        if (!notAfter(e, options)) return;
        if (notBefore(e, options)) yield e;
      }
      if (chunk) continue;
      if (options.done && (await options.done())) {
        // Bytes written just before the writer finished are read on the next turn.
        const st = await fs.stat(logPath).catch(() => undefined);
        if (st && st.size > offset) continue;
        const out: LogEntry[] = [];
        joiner.flush(out);
        yield* out.filter((e) => notBefore(e, options) && notAfter(e, options));
        return;
      }
      await new Promise<void>((resolve) => {
        const end = () => {
          clearTimeout(t);
          options.signal?.removeEventListener('abort', end);
          wake = undefined;
          resolve();
        };
        const t = setTimeout(end, pollMs);
        wake = end;
        options.signal?.addEventListener('abort', end, { once: true });
      });
    }
  } finally {
    watcher?.close();
  }
}

function push(out: LogEntry[], raw: RawLine, text: string): void {
  out.push({ time: raw.time, timestamp: new Date(raw.time), stream: raw.stream, text });
}
