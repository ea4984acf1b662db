// End to end through the berth CLI with real overlay, runc and conmon: the verbs that look at
// containers (attach, port, logs, events, wait) in docker's words, checked against dockerd
// 20.10 with docker's CLI 28.2.2.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, ok } from './engine-fixture.js';
import { readTextOr } from '../src/internal/read.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});


/** A failed berth command: its exit code and stderr, and nothing on stdout. */
async function fails(args: string[], code: number, stderr: string): Promise<void> {
  const r = await berth(fx, args);
  assert.deepEqual([r.code, r.stdout, r.stderr], [code, '', stderr], `berth ${args.join(' ')}`);
}

test("attach to a container that does not run: docker's CLI's words, before the detach keys are read", async () => {
  await ok(fx, ['create', '--name', 'att-created', fx.image, 'true']);
  await ok(fx, ['run', '--name', 'att-exited', fx.image, 'true']);
  await ok(fx, ['run', '-d', '--name', 'att-paused', fx.image, 'sleep', '1000']);
  await ok(fx, ['pause', 'att-paused']);
  // docker: "You cannot attach to a stopped container, start it first", for a created one too.
  await fails(['attach', 'att-created'], 1, 'Error: You cannot attach to a stopped container, start it first\n');
  await fails(['attach', 'att-exited'], 1, 'Error: You cannot attach to a stopped container, start it first\n');
  await fails(['attach', '--detach-keys', 'bogus', 'att-exited'], 1, 'Error: You cannot attach to a stopped container, start it first\n');
  await fails(['attach', '--detach-keys', 'bogus', 'att-none'], 1, 'Error: No such container: att-none\n');
  // berth attached to a paused one and waited; docker refuses it.
  await fails(['attach', '--no-stdin', 'att-paused'], 1, 'Error: You cannot attach to a paused container, unpause it first\n');
  await ok(fx, ['unpause', 'att-paused']);
  await ok(fx, ['rm', '-f', 'att-created', 'att-exited', 'att-paused']);
});

test("port: the container looked up first, then the port's number as Go parses it; any protocol is only not published", async () => {
  await ok(fx, ['create', '--name', 'ports', fx.image, 'true']);
  await fails(['port', 'ports', '80/xyz'], 1, "Error: No public port '80/xyz' published for ports\n");
  await fails(['port', 'ports', '80/'], 1, "Error: No public port '80/' published for ports\n");
  await fails(['port', 'ports', 'abc'], 1, 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax\n');
  await fails(['port', 'ports', '99999/udp'], 1, 'Error: invalid port (99999): strconv.ParseUint: parsing "99999": value out of range\n');
  await fails(['port', 'ports', '/tcp'], 1, 'Error: invalid port (): strconv.ParseUint: parsing "": invalid syntax\n');
  await fails(['port', 'no-such', 'abc'], 1, 'Error: No such container: no-such\n');
  await ok(fx, ['rm', 'ports']);
});

test("logs --tail as docker's daemon reads it: a count, anything else every line", async () => {
  await ok(fx, ['run', '--name', 'tails', fx.image, 'sh', '-c', 'echo one; echo two; echo three']);
  // dockerd 20.10: --tail x printed every line (berth refused 'invalid --tail "x"').
  for (const all of ['x', '1.5', '-2', 'all']) assert.equal(await ok(fx, ['logs', '--tail', all, 'tails']), 'one\ntwo\nthree', all);
  assert.equal(await ok(fx, ['logs', '-n', '+2', 'tails']), 'two\nthree');
  assert.equal(await ok(fx, ['logs', '--tail', '0', 'tails']), '');
  await ok(fx, ['rm', 'tails']);
});

test("events templates run over docker's events.Message: {{json .}} in its fields' order, {{.}} as Go prints it, {{.Scope}}", async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const id = await ok(fx, ['create', '--name', 'ev-msg', '--label', 'z=1', '--label', 'a=2', fx.image, 'true']);
  await ok(fx, ['volume', 'create', 'ev-vol']);
  const events = async (format: string, filter: string) => await ok(fx, ['events', '--since', since, '--until', '0s', '--filter', filter, '--format', format]);
  const time = await events('{{.Time}} {{.TimeNano}}', `container=${id}`);
  const [t, tn] = time.split(' ');
  // docker (dockerd 20.10, CLI 28): {{json .}} as --format json, the struct's order and the
  // attributes sorted; berth's {{json .}} sorted the top keys as a map's.
  const json = `{"status":"create","id":"${id}","from":"${fx.image}","Type":"container","Action":"create","Actor":{"ID":"${id}","Attributes":{"a":"2","image":"${fx.image}","name":"ev-msg","z":"1"}},"scope":"local","time":${t},"timeNano":${tn}}`;
  assert.equal(await events('{{json .}}', `container=${id}`), json);
  assert.equal(await events('json', `container=${id}`), json);
  // {{.}}: Go's struct printing (berth printed a map[...]); {{.Scope}} was <no value>.
  assert.equal(await events('{{.}}', `container=${id}`), `{create ${id} ${fx.image} container create {${id} map[a:2 image:${fx.image} name:ev-msg z:1]} local ${t} ${tn}}`);
  assert.equal(await events('{{.Scope}} {{.Status}} {{.From}}', `container=${id}`), `local create ${fx.image}`);
  // A volume's event has no status, id or from: omitted from JSON, empty in {{.}}.
  const vol = await events('{{json .}}|{{.}}', 'volume=ev-vol');
  const [vt, vtn] = (await events('{{.Time}} {{.TimeNano}}', 'volume=ev-vol')).split(' ');
  assert.equal(vol, `{"Type":"volume","Action":"create","Actor":{"ID":"ev-vol","Attributes":{"driver":"local"}},"scope":"local","time":${vt},"timeNano":${vtn}}|{   volume create {ev-vol map[driver:local]} local ${vt} ${vtn}}`);
  await ok(fx, ['rm', 'ev-msg']);
  await ok(fx, ['volume', 'rm', 'ev-vol']);
});

test('logs: --tail before --since/--until, as docker takes them; -f --until ends at the first later line', async () => {
  await ok(fx, ['run', '-d', '--name', 'untils', fx.image, 'sh', '-c', 'echo one; sleep 2; echo two; exec sleep 1000']);
  let stamped = '';
  for (let i = 0; i < 600 && !/ one$/m.test(stamped); i++) {
    stamped = await ok(fx, ['logs', '-t', 'untils']);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Just past the first line's time (Date keeps milliseconds): the second comes two seconds on.
  const until = new Date(Date.parse(stamped.split(' ')[0]) + 1).toISOString();
  // dockerd 20.10: -f --until printed what came before it and ended at a later line; berth
  // followed on while the container ran.
  const followed = await berth(fx, ['logs', '-f', '--until', until, 'untils']);
  assert.deepEqual([followed.code, followed.stdout, followed.stderr], [0, 'one\n', '']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'untils']), 'running');
  // dockerd 20.10: --tail 1 --until (between the lines) printed nothing: the last line, then
  // the filter; berth filtered first and printed "one".
  assert.equal(await ok(fx, ['logs', '--tail', '1', '--until', until, 'untils']), '');
  assert.equal(await ok(fx, ['logs', '--tail', '2', '--until', until, 'untils']), 'one');
  assert.equal(await ok(fx, ['logs', '--tail', '1', '--since', until, 'untils']), 'two');
  await ok(fx, ['rm', '-f', 'untils']);
});

test('stats --no-stream without names: the running and paused containers; -a every one, zeros for those not running, newest first', async () => {
  await ok(fx, ['create', '--name', 'st-created', fx.image, 'true']);
  await ok(fx, ['run', '--name', 'st-exited', fx.image, 'true']);
  const paused = await ok(fx, ['run', '-d', '--name', 'st-paused', fx.image, 'sleep', '1000']);
  await ok(fx, ['pause', 'st-paused']);
  const running = await ok(fx, ['run', '-d', '--name', 'st-running', fx.image, 'sleep', '1000']);
  const rows = async (args: string[]) => (await ok(fx, ['stats', '--no-stream', ...args, '--format', '{{.Name}} {{.PIDs}} {{.Container}}'])).split('\n');
  // dockerd 20.10 listed the paused one too (berth: only st-running), and -a the stopped ones
  // with docker's zeros (berth: -a was taken and ignored).
  assert.deepEqual(await rows([]), [`st-running 1 ${running.slice(0, 12)}`, `st-paused 1 ${paused.slice(0, 12)}`]);
  const every = await rows(['-a']);
  assert.deepEqual(
    every.map((r) => r.split(' ').slice(0, 2).join(' ')),
    ['st-running 1', 'st-paused 1', 'st-exited 0', 'st-created 0'],
  );
  assert.match(every[3], /^st-created 0 [0-9a-f]{12}$/);
  await ok(fx, ['rm', '-f', 'st-created', 'st-exited', 'st-paused', 'st-running']);
});

test("events --filter as dockerd matches: names by prefix, scope, a key it does not know ignored; no '=' is a bad command line", async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const id = await ok(fx, ['create', '--name', 'evf-web-1', fx.image, 'true']);
  const actions = async (...filters: string[]) =>
    await ok(fx, ['events', '--since', since, '--until', '0s', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Actor.Attributes.name}} {{.Action}}']);
  // dockerd 20.10: container=hl-ev listed hl-ev2's events (berth: none); scope=local and
  // bogus=1 listed every event (berth refused them: 'invalid filter').
  assert.equal(await actions('container=evf-web'), 'evf-web-1 create');
  assert.equal(await actions('container=evf-web', 'scope=local'), 'evf-web-1 create');
  assert.equal(await actions('container=evf-web', 'scope=swarm'), '');
  assert.equal(await actions('container=evf-web', 'bogus=1'), 'evf-web-1 create');
  assert.equal(await actions(`container=${id.slice(0, 10)}`, 'event=create'), 'evf-web-1 create');
  const bad = await berth(fx, ['events', '--since', since, '--until', '0s', '--filter', 'event']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^invalid argument "event" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n\nUsage: {2}berth events/);
  await ok(fx, ['rm', 'evf-web-1']);
});

test("attach to a terminal container with stdin from no terminal: docker's 'the input device is not a TTY', exit 1; --no-stdin attaches", async () => {
  const id = await ok(fx, ['run', '-dt', '--name', 'att-tty', fx.image, 'sleep', '1000']);
  // dockerd 20.10 with CLI 28 refused (berth attached and read a stdin that was no terminal).
  const refused = await berth(fx, ['attach', 'att-tty'], { input: '' });
  assert.deepEqual([refused.code, refused.stdout, refused.stderr], [1, '', 'the input device is not a TTY\n']);
  // --no-stdin stays attached until the container ends.
  const watched = berth(fx, ['attach', '--no-stdin', 'att-tty']);
  let ended = false;
  void watched.then(() => (ended = true));
  // Attached once the attach helper holds the container's socket.
  const helper = () => readdirSync('/proc').some((p) => /^\d+$/.test(p) && readTextOr(`/proc/${p}/cmdline`).includes(`${id}/bundle/attach`));
  for (let i = 0; i < 600 && !helper() && !ended; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(ended, false, 'attach --no-stdin still attached');
  await ok(fx, ['kill', 'att-tty']);
  const r = await watched;
  assert.equal(r.code, 137, r.stderr);
  await ok(fx, ['rm', 'att-tty']);
});

test("events --since after --until: dockerd's refusal, the times as docker's CLI sent them", async () => {
  // dockerd 20.10 refused these (berth printed nothing and exited 0).
  await fails(['events', '--since', '2026-12-05T03:00:00Z', '--until', '2026-12-05T02:00:00Z'], 1, 'Error: `since` time (1796439600.000000000) cannot be after `until` time (1796436000.000000000)\n');
  await fails(['events', '--since', '1796442508.5', '--until', '1796442500'], 1, 'Error: `since` time (1796442508.5) cannot be after `until` time (1796442500)\n');
  const r = await berth(fx, ['events', '--since', '0s', '--until', '1h']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: `since` time \(\d+\) cannot be after `until` time \(\d+\)\n$/);
});
