// berth logs: a container's output from its log (-f follows, --tail, --since, --until, -t).
import { containerLogs, logDetails } from '../engine/logs.js';
import { lookupContainer } from '../engine/state.js';
import { invalidArgument } from '../internal/errors.js';
import { goDurationNs } from '../internal/go-duration.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth logs [OPTIONS] CONTAINER',
  summary: 'Fetch the logs of a container',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'tail', short: 'n', type: 'string', value: 'N', description: 'Number of lines to show from the end (default all)' },
    { name: 'since', type: 'string', value: 'TIME', description: 'Show logs since a timestamp or relative time (42m)' },
    { name: 'until', type: 'string', value: 'TIME', description: 'Show logs before a timestamp or relative time' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'details', type: 'bool', description: 'Show extra details provided to logs (the labels and env that --log-opt labels= and env= name)' },
  ],
};

/**
 * docker's times (its GetTimestamp): a Go duration before now ("10m", "1h30m", "0.5s"; "0" is
 * the epoch), Unix seconds, or RFC 3339 or a shorter date ("2026-12-04", local time without a zone).
 */
export function parseTime(text: string, flag: string, now = Date.now()): Date {
  const ns = text === '0' ? undefined : goDurationNs(text);
  if (ns !== undefined) return new Date(now - ns / 1e6);
  if (/^\d+(\.\d+)?$/.test(text)) return new Date(Number(text) * 1000);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw invalidArgument(`invalid value for "${flag}": failed to parse value as time or duration: "${text}"`);
  return new Date(t);
}

/**
 * A time as docker's CLI sends it to its daemon (GetTimestamp), which quotes it back in errors:
 * a duration as whole Unix seconds, Unix seconds as written, a date as seconds and nine digits.
 */
export function sentTimestamp(text: string, time: Date): string {
  const ms = time.getTime();
  if (/^\d+(\.\d+)?$/.test(text)) return text;
  if (goDurationNs(text) !== undefined) return String(Math.floor(ms / 1000));
  return `${Math.floor(ms / 1000)}.${String((((ms % 1000) + 1000) % 1000) * 1e6).padStart(9, '0')}`;
}

/**
 * docker's log timestamps: UTC, nine fractional digits and Z ("2026-12-04T22:00:38.155932758Z");
 * conmon writes its local offset ("+00:00"). A time that is not RFC 3339 is shown as it is.
 */
export function dockerTime(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return time;
  return `${new Date(seconds).toISOString().slice(0, 19)}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}

/**
 * docker's --tail as its daemon reads it (strconv.Atoi): a count of lines; anything else (all,
 * a negative count, "x", "1.5") is every line, as docker's documentation says.
 */
export function tailCount(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 0 && Number.isSafeInteger(n) ? n : undefined;
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const rec = await lookupContainer(host, flags.args[0]);
  const tail = tailCount(flags.string('tail') ?? 'all');
  const since = flags.string('since');
  const until = flags.string('until');
  const stamps = flags.bool('timestamps');
  const details = flags.bool('details') ? logDetails(rec) : '';
  await containerLogs(
    host,
    rec,
    (e) => (e.stream === 'stderr' ? ctx.err : ctx.out)(`${stamps ? `${dockerTime(e.time)} ` : ''}${details}${e.text}`),
    {
      follow: flags.bool('follow'),
      ...(tail !== undefined ? { tail } : {}),
      ...(since ? { since: parseTime(since, 'since') } : {}),
      ...(until ? { until: parseTime(until, 'until') } : {}),
    },
  );
  return 0;
}
