// berth events: docker's event stream from the engine's event log (src/engine/events.ts): the
// events since --since, then new ones as they happen, until --until or an interrupt.
import { type EngineEvent, type EventFilter, followEvents, readEvents } from '../engine/events.js';
import { invalidArgument } from '../internal/errors.js';
import { type Flags, parseVerb, type VerbSpec } from './flags.js';
import { renderTemplate } from './format.js';
import { named, STRING, STRING_MAP, struct, withGoType } from './go-types.js';
import { sortedKeys } from './template-fmt.js';
import { goJSON, goMarshal } from './template.js';
import { parseTime, sentTimestamp } from './logs.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth events [OPTIONS]',
  summary: 'Get real time events from the engine',
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', description: 'Filter: container, image, volume, event, type, label, scope' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'json, or a Go template' },
    { name: 'since', type: 'string', value: 'TIME', description: 'Show events created since this time (RFC 3339, Unix seconds or a duration)' },
    { name: 'until', type: 'string', value: 'TIME', description: 'Stream events until this time' },
  ],
};

/** KEY=VALUE pairs; dockerd takes any key and ignores those it does not know. */
function parseFilters(flags: Flags): EventFilter {
  const out: EventFilter = {};
  for (const f of flags.filters()) {
    const eq = f.indexOf('=');
    (out[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  return out;
}

/** docker's text line: "TIME TYPE ACTION ID (k=v, ...)", attributes sorted by name. */
export function eventLine(e: EngineEvent): string {
  const ns = BigInt(Math.round(e.timeNano));
  const secs = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  const attributes = e.Actor.Attributes;
  const attrs = sortedKeys(attributes)
    .map((k) => `${k}=${attributes[k]}`)
    .join(', ');
  return `${secs}.${frac}Z ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`;
}

/** docker's events.Message, as its CLI runs templates over it: {{.}}, {{json .}}, {{.Scope}}. */
const MESSAGE = struct(
  'events.Message',
  {
    Status: STRING,
    ID: STRING,
    From: STRING,
    Type: named('string', 'events.Type'),
    Action: named('string', 'events.Action'),
    Actor: struct('events.Actor', { ID: STRING, Attributes: STRING_MAP }),
    Scope: STRING,
    Time: named('int', 'int64'),
    TimeNano: named('int', 'int64'),
  },
  { json: { Status: 'status', ID: 'id', From: 'from', Scope: 'scope', Time: 'time', TimeNano: 'timeNano' } },
);

/**
 * What templates and json see: the API message with docker's legacy status/id/from for
 * containers (omitted, as Go's omitempty leaves them, for other types).
 */
function view(e: EngineEvent): Record<string, unknown> {
  const legacy = e.Type === 'container' ? { status: e.Action, id: e.Actor.ID, from: e.Actor.Attributes.image ?? '' } : {};
  const actor = { ID: e.Actor.ID, Attributes: e.Actor.Attributes };
  return withGoType({ ...legacy, Type: e.Type, Action: e.Action, Actor: actor, scope: e.scope, time: e.time, timeNano: e.timeNano }, MESSAGE);
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const filters = parseFilters(flags);
  const now = Date.now();
  const sinceText = flags.string('since');
  const untilText = flags.string('until');
  const since = sinceText !== undefined ? parseTime(sinceText, 'since', now).getTime() : undefined;
  const until = untilText !== undefined ? parseTime(untilText, 'until', now).getTime() : undefined;
  // dockerd's refusal, quoting the times as docker's CLI sent them.
  if (since !== undefined && until !== undefined && since > until) {
    throw invalidArgument(`\`since\` time (${sentTimestamp(sinceText as string, new Date(since))}) cannot be after \`until\` time (${sentTimestamp(untilText as string, new Date(until))})`);
  }
  const format = flags.string('format');
  const print = (e: EngineEvent) => {
    if (format === undefined || format === '') ctx.out(eventLine(e));
    else if (format === 'json') ctx.out(`${goMarshal(goJSON(view(e)))}\n`);
    else ctx.out(`${renderTemplate(format, view(e) as never)}\n`);
  };
  // The past first (only when asked for, as docker), then what comes, unless the window is over.
  if (since !== undefined) for (const e of readEvents(ctx.runroot, { since, ...(until !== undefined ? { until } : {}), filters })) print(e);
  if (until !== undefined && until <= Date.now()) return 0;
  const stop = new AbortController();
  const end = () => stop.abort();
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  try {
    await followEvents(ctx.runroot, print, { filters, signal: stop.signal, ...(until !== undefined ? { until } : {}) });
  } finally {
    process.off('SIGINT', end);
    process.off('SIGTERM', end);
  }
  return 0;
}
