import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { checkSignal, type EngineEvent, eventMatches, eventsLogPath, followEvents, readEvents, recordEvent, signalNumber } from './events.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = path.join(dir, `r${n++}`);
  mkdirSync(d);
  return d;
};

test('events append as JSON lines, read back in order, a torn line skipped', () => {
  const root = fresh();
  const t0 = Date.now();
  recordEvent(root, 'container', 'create', 'abc', { name: 'web', image: 'busybox' });
  recordEvent(root, 'container', 'start', 'abc', { name: 'web', image: 'busybox' });
  appendFileSync(eventsLogPath(root), '{"Type":"container","Act');
  const events = readEvents(root);
  assert.deepEqual(events.map((e) => e.Action), ['create', 'start']);
  assert.equal(events[0].Actor.ID, 'abc');
  assert.equal(events[0].scope, 'local');
  assert.ok(events[0].time >= Math.floor(t0 / 1000));
  assert.ok(events[1].timeNano >= events[0].timeNano);
  assert.deepEqual(readEvents(root, { since: Date.now() + 1000 }), []);
  assert.equal(readEvents(root, { until: t0 - 1000 }).length, 0);
});

test('a run root that does not exist loses the event, never the command', () => {
  recordEvent(path.join(dir, 'no', 'such'), 'container', 'create', 'x');
});

test("the log rotates past its size: the file before stays readable, older ones go", () => {
  const root = fresh();
  for (let i = 0; i < 30; i++) recordEvent(root, 'container', `a${i}`, 'x', {}, 1000);
  assert.deepEqual(readdirSync(root).sort(), ['events.log', 'events.log.1']);
  const actions = readEvents(root).map((e) => e.Action);
  assert.equal(actions.at(-1), 'a29');
  assert.ok(actions.length < 30 && actions.length > 5, String(actions.length));
  assert.deepEqual(actions, [...actions].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
});

test("docker's filters: ORed within a key, ANDed across keys; labels, names, ID prefixes", () => {
  const e = (Type: 'container' | 'image', Action: string, ID: string, Attributes: Record<string, string>): EngineEvent => ({ Type, Action, Actor: { ID, Attributes }, scope: 'local', time: 0, timeNano: 0 });
  const start = e('container', 'start', 'abcdef', { name: 'web', image: 'busybox', tier: 'front' });
  const exec = e('container', 'exec_start: sh -c true', 'abcdef', { name: 'web', image: 'busybox' });
  const pull = e('image', 'pull', 'busybox:latest', { name: 'busybox:latest' });
  assert.ok(eventMatches(start, { container: ['web'] }));
  assert.ok(eventMatches(start, { container: ['abc'] }));
  assert.ok(!eventMatches(start, { container: ['db'] }));
  assert.ok(eventMatches(start, { event: ['stop', 'start'], type: ['container'] }));
  assert.ok(!eventMatches(start, { event: ['start'], type: ['image'] }));
  assert.ok(eventMatches(exec, { event: ['exec_start'] }));
  assert.ok(eventMatches(start, { label: ['tier=front'] }) && eventMatches(start, { label: ['tier'] }) && !eventMatches(start, { label: ['tier=back'] }));
  assert.ok(eventMatches(start, { image: ['busybox'] }) && eventMatches(pull, { image: ['busybox:latest'] }));
  // dockerd's fuzzyMatchName: a prefix of the ID or the name, whatever the event's type (dockerd
  // 20.10: container=hl-ev listed hl-ev2's events, and so did network=hl-ev and volume=hl).
  assert.ok(eventMatches(start, { container: ['we'] }) && eventMatches(start, { network: ['web'] }) && eventMatches(start, { volume: ['w'] }));
  assert.ok(eventMatches(pull, { container: ['busybox:latest'] }) && !eventMatches(pull, { container: ['web'] }));
  assert.ok(!eventMatches(start, { daemon: ['x'] }));
  // scope is exact; a key dockerd does not know is ignored (20.10 listed every event for bogus=1).
  assert.ok(eventMatches(start, { scope: ['local'] }) && !eventMatches(start, { scope: ['swarm'] }));
  assert.ok(eventMatches(start, { bogus: ['1'] }));
});

test('follow sees what is appended after it starts, through a rotation, and stops on abort or until', async () => {
  const root = fresh();
  recordEvent(root, 'container', 'before', 'x');
  const seen: string[] = [];
  const stop = new AbortController();
  const following = followEvents(root, (ev) => {
    seen.push(ev.Action);
    if (ev.Action === 'last') stop.abort();
  }, { signal: stop.signal, pollMs: 10 });
  await new Promise((r) => setTimeout(r, 30));
  recordEvent(root, 'container', 'one', 'x');
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 5; i++) recordEvent(root, 'container', 'filler', 'x', {}, 300);
  await new Promise((r) => setTimeout(r, 50));
  recordEvent(root, 'container', 'last', 'x');
  await following;
  assert.equal(seen[0], 'one');
  assert.equal(seen.at(-1), 'last');
  assert.ok(!seen.includes('before'));
  const t = Date.now();
  await followEvents(root, () => {}, { until: t + 50, pollMs: 10 });
  assert.ok(Date.now() - t < 1000);
});

test("kill events name the signal by number, as docker's", () => {
  assert.equal(signalNumber('SIGTERM'), '15');
  assert.equal(signalNumber('kill'), '9');
  assert.equal(signalNumber('10'), '10');
});

test("signals as docker's daemon parses them: names in any case, with or without SIG; numbers but 0", () => {
  assert.equal(checkSignal('usr1'), 'SIGUSR1');
  assert.equal(checkSignal('SIGTERM'), 'SIGTERM');
  assert.equal(checkSignal('RTMIN+3'), 'SIGRTMIN+3');
  assert.equal(checkSignal('99'), '99');
  for (const bad of ['NOPE', '0', 'SIG', 'KILL9', '']) assert.throws(() => checkSignal(bad), new RegExp(`^BerthError: Invalid signal: ${bad}$|Invalid signal: ${bad}`));
});
