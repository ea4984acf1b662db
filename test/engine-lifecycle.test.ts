// End to end through the berth CLI with real overlay, runc and conmon: the lifecycle of every
// container verb, docker's exit codes, names, and containers from an untagged layer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { BERTH, berth, cleanupFixture, type EngineFixture, makeEngineFixture, mountsUnder, ok } from './engine-fixture.js';
import { readTextOr } from '../src/internal/read.js';
import { sha256 } from './client-helpers.js';
import { buildImage, hostileRegistry } from './images-helpers.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});


async function waitFor(fn: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('run attached: output, the exit code, and --rm leaves nothing', async () => {
  const r = await berth(fx, ['run', '--rm', fx.image, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.deepEqual(await mountsUnder(fx), []);
  assert.deepEqual(await fs.readdir(path.join(fx.root, 'containers')), []);
  // Not even its lock file: the run root would collect one per container.
  assert.deepEqual((await fs.readdir(path.join(fx.runroot, 'locks'))).filter((f) => f.startsWith('ctr-')), []);
});

test('run -t with no terminal here (a script): the container still gets one, as under docker; -it refuses', async () => {
  // docker's daemon makes the terminal: the output comes back with its CR LF line ends.
  const r = await berth(fx, ['run', '--rm', '-t', fx.image, 'sh', '-c', 'test -t 1 && echo tty; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'tty\r\n');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  // Its log keeps the terminal's bytes, a lone CR and what follows it too (docker logs, same run).
  await ok(fx, ['run', '--name', 'tlog', '-t', fx.image, 'sh', '-c', "echo a; printf 'b\\rc\\n'"]);
  assert.equal((await berth(fx, ['logs', 'tlog'])).stdout, 'a\r\nb\rc\r\n');
  await ok(fx, ['rm', 'tlog']);
  // exec -t from a script too: docker's daemon gives it a terminal (berth's through conmon; runc's
  // own exec -t wanted the caller's: "open /dev/tty: no such device or address").
  await ok(fx, ['run', '-d', '--name', 'tex', fx.image, 'sleep', '100']);
  const tex = await berth(fx, ['exec', '-t', 'tex', 'sh', '-c', 'test -t 0 && echo tty0; test -t 1 && echo tty1; exit 3']);
  assert.equal(tex.code, 3, tex.stderr);
  assert.equal(tex.stdout, 'tty0\r\ntty1\r\n');
  const texMissing = await berth(fx, ['exec', '-t', 'tex', '/no-such-program']);
  assert.equal(texMissing.code, 126);
  assert.match(texMissing.stderr, /no such file or directory/);
  await ok(fx, ['rm', '-f', 'tex']);
  // What the runtime refuses at the start (runc: cpu-shares under 2) is said once, by the runtime
  // on the shared stderr, as docker says it once; the exit is 125.
  const refused = await berth(fx, ['run', '--rm', '--cpu-shares', '1', fx.image, 'true']);
  assert.equal(refused.code, 125);
  assert.equal(refused.stderr.match(/the minimum allowed cpu-shares is 2/g)?.length, 1, refused.stderr);
  // -it: docker's CLI refuses a stdin that is no terminal, before anything is made.
  const it = await berth(fx, ['run', '--rm', '-it', fx.image, 'cat'], { input: 'hi\n' });
  assert.equal(it.code, 1);
  assert.equal(it.stderr, 'the input device is not a TTY\n');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.deepEqual(await mountsUnder(fx), []);
});

test('run without --rm keeps the container and its log; logs, inspect, rm', async () => {
  const r = await berth(fx, ['run', '--name', 'once', fx.image, 'sh', '-c', 'echo line1; echo line2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'line1\nline2\n');
  assert.equal(await ok(fx, ['logs', 'once']), 'line1\nline2');
  assert.equal(await ok(fx, ['logs', '--tail', '1', 'once']), 'line2');
  // docker's daemon: a negative count is all, and so is no number at all.
  assert.equal(await ok(fx, ['logs', '--tail', '-1', 'once']), 'line1\nline2');
  assert.equal(await ok(fx, ['logs', '--tail', 'x', 'once']), 'line1\nline2');
  assert.match(await ok(fx, ['logs', '-t', 'once']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line1$/m, "docker's UTC time with nine digits and Z");
  // --details: nothing named by --log-opt labels=/env=, so a lone space before each line, as docker's.
  assert.equal((await berth(fx, ['logs', '--details', '--tail', '1', 'once'])).stdout, ' line2\n');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Name}}', 'once']), 'exited 3 /once');
  assert.match(await ok(fx, ['ps', '-a', '--filter', 'name=once', '--format', '{{.Names}} {{.Status}}']), /^once Exited \(3\) /);
  // Go's text/template and docker's functions; docker 20.10 printed these for the same container.
  const t1 = '{{if .State.Running}}up{{else}}down {{.State.ExitCode}}{{end}} {{len .Config.Cmd}} {{range $i, $a := .Config.Cmd}}{{if gt $i 1}}{{break}}{{end}}{{$i}}={{$a}};{{end}} {{range .Mounts}}m{{else}}no mounts{{end}}';
  assert.equal(await ok(fx, ['inspect', '-f', t1, 'once']), 'down 3 3 0=sh;1=-c; no mounts');
  const t2 = '{{printf "%q|%5s|%-3d|" .Name .State.Status .State.ExitCode}} {{json .Config.Cmd}} {{join (split .Name "/") "+"}} {{title .State.Status}} {{eq .State.Status "dead" "exited"}} {{$n := .Name}}{{with .State}}{{$n}}:{{.Status}}{{end}}';
  assert.equal(await ok(fx, ['inspect', '-f', t2, 'once']), '"/once"|exited|3  | ["sh","-c","echo line1; echo line2; exit 3"] +once Exited true /once:exited');
  const t3 = '{{.Names}} {{if ne .State "running"}}{{upper .State}}{{end}} [{{pad .Names 1 0}}] {{truncate .Names 5}} {{.Names | len | printf "%03d"}}';
  assert.equal(await ok(fx, ['ps', '-a', '--filter', 'name=once', '--format', t3]), 'once EXITED [ once] once 004');
  assert.deepEqual(await mountsUnder(fx), [], 'an exited container keeps no mount');
  await ok(fx, ['rm', 'once']);
  assert.equal((await berth(fx, ['inspect', 'once'])).code, 1);
});

test("create of an image not stored pulls it, with docker's output on stderr (-q: none)", async () => {
  const image = buildImage([[{ name: 'etc/motd', body: 'pulled\n' }]]);
  const reg = await hostileRegistry(image);
  try {
    const ref = `${reg.host}/test/img:1`;
    const made = await berth(fx, ['create', '--name', 'pulled', ref, 'true']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^[0-9a-f]{64}\n$/);
    const lines = made.stderr.split('\n');
    assert.equal(lines[0], `Unable to find image '${ref}' locally`);
    // docker's: the repository's path in its registry.
    assert.equal(lines[1], '1: Pulling from test/img');
    assert.ok(lines.includes(`${image.layerDigests[0].slice(7, 19)}: Pull complete`), made.stderr);
    assert.ok(lines.includes(`Digest: ${sha256(image.manifest)}`), made.stderr);
    assert.ok(lines.includes(`Status: Downloaded newer image for ${ref}`), made.stderr);
    await ok(fx, ['rm', 'pulled']);
    await ok(fx, ['rmi', ref]);
    // No tag given: docker's line names the default one.
    const untagged = await berth(fx, ['create', '--name', 'pulled2', '--pull', 'missing', `${reg.host}/test/img`, 'true']);
    assert.equal(untagged.stderr.split('\n')[0], `Unable to find image '${reg.host}/test/img:latest' locally`);
    await berth(fx, ['rm', 'pulled2']);
    const quiet = await berth(fx, ['create', '-q', '--name', 'quiet', ref, 'true']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
    await ok(fx, ['rm', 'quiet']);
    await ok(fx, ['rmi', ref]);
  } finally {
    await reg.close();
  }
});

test("events: each change a container goes through, as docker's stream; followed and filtered", async () => {
  const since = new Date(Date.now() - 1000).toISOString();
  // Followed: the past since --since, then what comes (so however late the follower starts,
  // it misses nothing); SIGINT ends the stream with 0.
  const follow = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'events', '--since', since, '--filter', 'event=start', '--filter', 'container=ev', '--format', '{{.Actor.Attributes.name}} {{.Status}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let streamed = '';
  follow.stdout.setEncoding('utf8').on('data', (d: string) => (streamed += d));
  const id = await ok(fx, ['run', '-d', '--name', 'ev', '--label', 'team=a', fx.image, 'sleep', '1000']);
  await ok(fx, ['exec', 'ev', 'true']);
  await ok(fx, ['rename', 'ev', 'ev2']);
  await ok(fx, ['stop', '-t', '0', 'ev2']);
  await ok(fx, ['rm', 'ev2']);
  await waitFor(async () => streamed.includes('ev start'), 'the followed start');
  follow.kill('SIGINT');
  const [code] = await once(follow, 'exit');
  assert.equal(code, 0);
  assert.equal(streamed, 'ev start\n');
  const until = new Date(Date.now() + 1000).toISOString();
  const actions = await ok(fx, ['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', '{{.Action}}']);
  assert.deepEqual(actions.split('\n'), ['create', 'start', 'exec_create: true', 'exec_start: true', 'exec_die', 'rename', 'kill', 'die', 'stop', 'destroy']);
  // An attached run: docker's attach event before the start (dockerd 20.10's stream, the same run).
  const attachedSince = String(Date.now() / 1000);
  await ok(fx, ['run', '--rm', '--name', 'ev-attached', fx.image, 'true']);
  const attachedUntil = new Date(Date.now() + 1000).toISOString();
  assert.deepEqual((await ok(fx, ['events', '--since', attachedSince, '--until', attachedUntil, '--filter', 'container=ev-attached', '--format', '{{.Action}}'])).split('\n'), ['create', 'attach', 'start', 'die', 'destroy']);
  const line = (await ok(fx, ['events', '--since', since, '--until', until, '--filter', 'event=create', '--filter', 'label=team=a'])).split('\n');
  assert.equal(line.length, 1);
  assert.match(line[0], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container create ${id} \\(image=${fx.image.replace(/[/.]/g, '\\$&')}, name=ev, team=a\\)$`));
  const json = JSON.parse((await ok(fx, ['events', '--since', since, '--until', until, '--filter', 'event=die', '--filter', `container=${id}`, '--format', 'json'])).split('\n')[0]);
  // docker's JSON keys, exactly (dockerd 20.10's message); Go's names are for templates.
  assert.deepEqual(Object.keys(json).sort(), ['Action', 'Actor', 'Type', 'from', 'id', 'scope', 'status', 'time', 'timeNano']);
  assert.equal(await ok(fx, ['events', '--since', since, '--until', until, '--filter', 'event=die', '--filter', `container=${id}`, '--format', '{{.Status}} {{.ID}}']), `die ${id}`);
  assert.equal(json.status, 'die');
  assert.equal(json.Actor.Attributes.exitCode, '137');
  // Attributes, a Go map, in byte order as docker marshals it (the label team came before image).
  assert.deepEqual(Object.keys(json.Actor.Attributes), ['exitCode', 'image', 'name', 'team']);
  // docker's CLI: a filter without '=' is a bad command line, 125.
  assert.equal((await berth(fx, ['events', '--filter', 'bogus'])).code, 125);
});

test("logs --details: the labels and env --log-opt names, as docker's json-file keeps them; a label name with blanks is refused", async () => {
  // dockerd 20.10 printed "BAR=q%26r+y,FOO=bar,a=1,zz=x line1" for this container.
  const id = await ok(fx, ['run', '-d', '--label', 'a=1', '--label', 'zz=x', '--log-opt', 'labels=zz,a,missing', '--log-opt', 'env=FOO,BAR', '-e', 'FOO=bar', '-e', 'BAR=q&r y', fx.image, 'echo', 'line1']);
  assert.equal(await ok(fx, ['wait', id]), '0');
  assert.equal(await ok(fx, ['logs', '--details', id]), 'BAR=q%26r+y,FOO=bar,a=1,zz=x line1');
  assert.match(await ok(fx, ['logs', '--details', '-t', id]), /^\d{4}-\d\d-\d\dT\S+ BAR=q%26r\+y,FOO=bar,a=1,zz=x line1$/);
  await ok(fx, ['rm', id]);
  const blank = await berth(fx, ['create', '--label', 'b c=x', fx.image, 'true']);
  assert.equal(blank.code, 125);
  assert.match(blank.stderr, /label 'b c' contains whitespaces/);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test('--log-driver none keeps no log (attached output still shown); --log-opt max-size caps the file', async () => {
  const attached = await berth(fx, ['run', '--name', 'nolog', '--log-driver', 'none', fx.image, 'sh', '-c', 'echo shown; exit 3']);
  assert.equal(attached.code, 3);
  assert.equal(attached.stdout, 'shown\n');
  const logs = await berth(fx, ['logs', 'nolog']);
  assert.equal(logs.code, 1);
  // dockerd 20.10's words alone (berth said 'cannot read the logs of container NAME: ' first).
  assert.equal(logs.stderr, 'Error: configured logging driver does not support reading\n');
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'nolog']), '{"Type":"none","Config":{}}');
  await ok(fx, ['rm', 'nolog']);
  const id = await ok(fx, ['run', '-d', '--log-opt', 'max-size=2k', fx.image, 'sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo done']);
  await ok(fx, ['wait', id]);
  const size = (await fs.stat(path.join(fx.root, 'containers', id, 'ctr.log'))).size;
  assert.ok(size <= 2048 + 100, `log of ${size} bytes`);
  assert.equal((await ok(fx, ['logs', '--tail', '1', id])), 'done');
  await ok(fx, ['rm', id]);
  for (const [flags, message] of [
    [['--log-driver', 'syslog'], /invalid --log-driver "syslog"/],
    [['--log-opt', 'max-file=0'], /max-file must be a positive integer/],
  ] as const) {
    const r = await berth(fx, ['run', '--rm', ...flags, fx.image, 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, message);
  }
  // docker's max-size with max-file (compose files ask for it): taken, with a warning that berth
  // keeps one file, and recorded as given.
  const rotated = await berth(fx, ['run', '--name', 'rotated', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', fx.image, 'echo', 'kept']);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.equal(rotated.stdout, 'kept\n');
  assert.match(rotated.stderr, /^WARNING: berth keeps one log file .*not max-file=3 files of it\n$/);
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', 'rotated']), '{"max-file":"3","max-size":"1k"}');
  await ok(fx, ['rm', 'rotated']);
});

test('attach: the detach keys leave a -di container running; start -a -i attaches before the start', async () => {
  await ok(fx, ['run', '-di', '--name', 'sh1', fx.image, 'sh']);
  // Typed after the output came back: the default ctrl-p,ctrl-q then detaches, the shell lives on.
  const attach = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'attach', 'sh1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  attach.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  attach.stdin.write('echo first\n');
  await waitFor(async () => out === 'first\n', 'the first echo');
  let err = '';
  attach.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  attach.stdin.write('\x10\x11echo never\n');
  const [code] = await once(attach, 'exit');
  // docker's attach after a detach (dockerd 20.10, CLI 28): "read escape sequence", exit 1.
  assert.equal(code, 1);
  assert.equal(err, 'read escape sequence\n');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'sh1']), 'running');
  // Bad keys, refused once the container is found running.
  const bad = await berth(fx, ['attach', '--detach-keys', 'ctrl-1', 'sh1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid detach keys \(ctrl-1\)/);
  // Other keys; a partial match is typed on as it was.
  const again = await berth(fx, ['attach', '--detach-keys', 'ctrl-a,d', 'sh1'], { input: 'echo \x01x\nexit 5\n' });
  assert.equal(again.code, 5);
  assert.equal(again.stdout, '\x01x\n');
  await ok(fx, ['rm', 'sh1']);
  // A terminal: the local one raw, its size passed on, ctrl-p ctrl-q detaching.
  await ok(fx, ['run', '-dit', '--name', 'tty1', fx.image, 'sh']);
  const cli = `${process.execPath} ${BERTH} --root ${fx.root} --runroot ${fx.runroot}`;
  const term = spawn('script', ['-qec', `stty rows 33 cols 99; ${cli} attach tty1; echo attach-rc=$?`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  term.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
  await new Promise((r) => setTimeout(r, 1000));
  term.stdin.write('stty size\r');
  await waitFor(async () => /33 99/.test(screen), 'stty size through the attach');
  term.stdin.write('\x10\x11');
  await once(term, 'exit');
  assert.match(screen, /read escape sequence\r\nattach-rc=1/);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'tty1']), 'running');
  await ok(fx, ['rm', '-f', 'tty1']);
  // start -a: attached before the runtime starts it, so even a quick command's output is all there.
  await ok(fx, ['create', '--name', 'quick', fx.image, 'sh', '-c', 'echo a; echo b >&2; exit 6']);
  const quick = await berth(fx, ['start', '-a', 'quick']);
  assert.deepEqual([quick.code, quick.stdout, quick.stderr], [6, 'a\n', 'b\n']);
  await ok(fx, ['rm', 'quick']);
  await ok(fx, ['create', '-i', '--name', 'in', fx.image, 'sh', '-c', 'read x; echo got-$x; exit 4']);
  const fed = await berth(fx, ['start', '-a', '-i', 'in'], { input: 'ping\n' });
  assert.deepEqual([fed.code, fed.stdout], [4, 'got-ping\n']);
  await ok(fx, ['rm', 'in']);
});

test('run -a: only the streams named are attached', async () => {
  const onlyErr = await berth(fx, ['run', '--rm', '-a', 'stderr', fx.image, 'sh', '-c', 'echo out; echo err >&2; exit 2']);
  assert.deepEqual([onlyErr.code, onlyErr.stdout, onlyErr.stderr], [2, '', 'err\n']);
  // Under conmon (no --rm), from the log: the same.
  const onlyOut = await berth(fx, ['run', '--name', 'att-a', '-a', 'STDOUT', fx.image, 'sh', '-c', 'echo out; echo err >&2']);
  assert.deepEqual([onlyOut.code, onlyOut.stdout, onlyOut.stderr], [0, 'out\n', '']);
  await ok(fx, ['rm', 'att-a']);
  // docker's CLI gives this one as a plain error: exit 1 (125 is for bad flags and run's failures).
  const both = await berth(fx, ['run', '-d', '-a', 'stdout', fx.image, 'true']);
  assert.deepEqual([both.code, both.stderr], [1, 'Error: conflicting options: cannot specify both --attach and --detach\n']);
  // docker CLI 28: pflag's words with the usage block, before -d's conflict; berth put 'Error: '
  // before them and gave no usage.
  const badStream = await berth(fx, ['run', '-d', '-a', 'bogus', fx.image, 'true']);
  assert.equal(badStream.code, 125);
  assert.match(badStream.stderr, /^invalid argument "bogus" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR\n\nUsage: {2}berth run \[OPTIONS\]/);
});

test("berth's own failures: 125 for a bad flag or image, 126 not executable, 127 not found", async () => {
  assert.equal((await berth(fx, ['run', '--rm', '--bogus', fx.image])).code, 125);
  const missing = await berth(fx, ['run', '--rm', '--pull', 'never', 'no/such:image', 'true']);
  // docker: 'docker: Error response from daemon: No such image: no/such:image'; berth said
  // 'image "no/such:image" not known locally (and --pull=never)'. An untagged name gets docker's :latest.
  assert.deepEqual([missing.code, missing.stderr], [125, 'Error: No such image: no/such:image\n']);
  const untagged = await berth(fx, ['create', '--pull', 'never', 'no/such', 'true']);
  assert.deepEqual([untagged.code, untagged.stderr], [1, 'Error: No such image: no/such:latest\n']);
  // docker's CLI: 'invalid pull option: 'bogus': must be one of "always", "missing" or "never"'.
  const badPull = await berth(fx, ['run', '--rm', '--pull', 'bogus', fx.image, 'true']);
  assert.deepEqual([badPull.code, badPull.stderr], [125, 'Error: invalid pull option: \'bogus\': must be one of "always", "missing" or "never"\n']);
  const notFound = await berth(fx, ['run', '--rm', fx.image, '/bin/nonexistent']);
  assert.equal(notFound.code, 127);
  assert.match(notFound.stderr, /no such file or directory/);
  const notExec = await berth(fx, ['run', '--rm', fx.image, '/etc/passwd']);
  assert.equal(notExec.code, 126);
  const dir = await berth(fx, ['run', '--rm', fx.image, '/tmp']);
  assert.equal(dir.code, 126);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

/** `top` of a container whose one process is `sleep 1000`: docker's ps options and errors. */
async function topAsDocker(name: string): Promise<void> {
  const pid = await ok(fx, ['inspect', '-f', '{{.State.Pid}}', name]);
  const table = async (args: string[]) => (await ok(fx, ['top', name, ...args])).split('\n').map((l) => l.trim().split(/\s+/));
  // The default, ps -ef: its titles and the container's command line, nothing of the host's.
  const ef = await ok(fx, ['top', name]);
  const [head, ...rows] = ef.split('\n');
  assert.deepEqual(head.split(/\s+/), ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.equal(rows.length, 1, ef);
  assert.match(rows[0], new RegExp(`^root\\s+${pid}\\s+\\d+\\s.*\\ssleep 1000$`));
  // What follows the name is ps's, not berth's flags.
  assert.deepEqual(await table(['-o', 'pid,comm']), [['PID', 'COMMAND'], [pid, 'sleep']]);
  assert.deepEqual(await table(['-o', 'pid=PID', '-o', 'comm=NAME']), [['PID', 'NAME'], [pid, 'sleep']]);
  // BSD syntax; and a forest, which ps cannot list with -q: ps runs again over every process
  // and only the container's are kept (one row: not the test runner's, nor any other).
  for (const args of [['aux'], ['-ef', 'f']]) {
    const out = await ok(fx, ['top', name, ...args]);
    const lines = out.split('\n');
    assert.equal(lines.length, 2, out);
    assert.match(lines[0], /^(USER|UID)\s+PID\s/);
    assert.equal(lines[1].split(/\s+/)[1], pid);
    assert.match(lines[1], /sleep 1000$/);
  }
  // docker's errors: a column other than pid titled PID; no PID column; ps refusing its options.
  const fails = async (args: string[], message: string) => {
    const r = await berth(fx, ['top', name, ...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `Error: ${message}\n`);
  };
  await fails(['-o', 'comm=PID'], 'specifying "comm=PID" is not allowed');
  // dockerd 20.10: "Couldn't find PID field in ps output", "ps: error: unknown gnu long option".
  await fails(['-o', 'pid=X'], "Couldn't find PID field in ps output");
  await fails(['-o', 'user,comm'], "Couldn't find PID field in ps output");
  await fails(['--bogus'], 'ps: error: unknown gnu long option');
}

test('run -d, ps, logs -f, exec (-e -u -w), top, stats, stop with the grace period then SIGKILL', async () => {
  const id = await ok(fx, ['run', '-d', '--name', 'web', '-e', 'A=1', fx.image, 'sh', '-c', 'echo ready; exec sleep 1000']);
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(await ok(fx, ['ps', '-q']), id.slice(0, 12));
  assert.match(await ok(fx, ['ps', '--no-trunc', '--format', '{{.ID}} {{.State}}']), new RegExp(`^${id} running$`));
  await waitFor(async () => (await ok(fx, ['logs', 'web'])) === 'ready', 'the log');
  assert.equal(await ok(fx, ['exec', 'web', 'sh', '-c', 'echo $A $IMAGE_VAR $(id -u) $(pwd)']), '1 from-image 0 /');
  assert.equal(await ok(fx, ['exec', '-e', 'B=2', '-u', 'app', '-w', '/tmp', 'web', 'sh', '-c', 'echo $B $(id -u):$(id -g) $(pwd)']), '2 1000:1000 /tmp');
  // HOME is the exec user's (docker's: the runtime looks it up), "/" for an id passwd lacks.
  assert.equal(await ok(fx, ['exec', 'web', 'sh', '-c', 'echo $HOME']), '/root');
  assert.equal(await ok(fx, ['exec', '-u', 'app', 'web', 'sh', '-c', 'echo $HOME']), '/home/app');
  assert.equal(await ok(fx, ['exec', '-u', '4321', 'web', 'sh', '-c', 'echo $HOME']), '/');
  assert.equal(await ok(fx, ['exec', '-u', 'app', '-e', 'HOME=/h', 'web', 'sh', '-c', 'echo $HOME']), '/h');
  // The runtime's HOME comes after the exec's -e, as docker's exec lists them (runc appends it).
  assert.deepEqual((await ok(fx, ['exec', '-e', 'B=2', 'web', 'env'])).split('\n').slice(-2), ['B=2', 'HOME=/root']);
  assert.equal((await berth(fx, ['exec', 'web', 'sh', '-c', 'exit 5'])).code, 5);
  // docker's exec codes (dockerd 20.10 here): 126 for a process that cannot start, said once
  // (the runtime's own words); 1 for a container that is not there.
  const missing = await berth(fx, ['exec', 'web', 'nosuchcmd']);
  assert.equal(missing.code, 126);
  assert.equal(missing.stderr.match(/executable file not found/g)?.length, 1, missing.stderr);
  const nouser = await berth(fx, ['exec', '-u', 'nosuch', 'web', 'true']);
  assert.equal(nouser.code, 126);
  assert.match(nouser.stderr, /unable to find user nosuch/);
  assert.equal((await berth(fx, ['exec', '-w', '/no/such/dir', 'web', 'true'])).code, 126);
  assert.equal((await berth(fx, ['exec', 'no-such-container', 'true'])).code, 1);
  await topAsDocker('web');
  const stats = await ok(fx, ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'web']);
  assert.equal(stats, 'web 1');
  // docker's .Container: as the command line named it.
  assert.equal(await ok(fx, ['stats', '--no-stream', '--format', '{{.Container}}', id.slice(0, 7)]), id.slice(0, 7));
  // port: berth publishes no ports yet (no bridged network): an empty list, docker's error for one.
  assert.equal(await ok(fx, ['port', 'web']), '');
  const port = await berth(fx, ['port', 'web', '80']);
  assert.equal(port.code, 1);
  assert.match(port.stderr, /No public port '80' published for web/);
  assert.equal((await berth(fx, ['port', 'no-such-container'])).code, 1);
  // The block I/O of a container that wrote nothing: runc leaves the zero out, which is 0B.
  assert.match(await ok(fx, ['stats', '--no-stream', '--format', '{{.BlockIO}}', 'web']), /^\d+(\.\d+)?[kMG]?B \/ \d+(\.\d+)?[kMG]?B$/);
  // Without --no-stream: a fresh sample every second until interrupted.
  const stream = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'stats', '--format', '{{.Name}} {{.PIDs}}', 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let streamed = '';
  stream.stdout.setEncoding('utf8').on('data', (d: string) => {
    streamed += d;
    if (streamed.split('\n').length > 2) stream.kill('SIGINT');
  });
  const [code] = (await once(stream, 'exit')) as [number | null];
  assert.equal(code, 0, 'SIGINT ends the stream cleanly');
  assert.deepEqual(streamed.trim().split('\n').slice(0, 2), ['web 1', 'web 1']);
  // sleep as PID 1 has no SIGTERM handler: the kernel ignores it, so stop must end in SIGKILL.
  const t0 = Date.now();
  await ok(fx, ['stop', '-t', '1', 'web']);
  assert.ok(Date.now() - t0 >= 900, 'stop waited the grace period');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'web']), 'exited 137');
  assert.deepEqual(await mountsUnder(fx), []);
  const stopped = await berth(fx, ['top', 'web']);
  assert.equal(stopped.code, 1);
  // dockerd's words, with the full ID: "Container 256cc68c30b0...de2 is not running".
  assert.equal(stopped.stderr, `Error: Container ${id} is not running\n`);
  // stats of a stopped container: docker's row of zeros (dockerd 20.10 printed the same).
  assert.equal(await ok(fx, ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.BlockIO}} {{.PIDs}}', 'web']), 'web 0.00% 0B / 0B 0.00% 0B / 0B 0');
  // Started again: same container, same log with the new output appended.
  await ok(fx, ['start', 'web']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Running}}', 'web']), 'true');
  await ok(fx, ['rm', '-f', 'web']);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.deepEqual(await mountsUnder(fx), []);
  assert.equal(existsSync(path.join(fx.runroot, 'runc', id)), false, 'runtime state is gone');
  assert.equal(existsSync(`/sys/fs/cgroup/memory/berth/${id}`), false, 'cgroup is gone');
  assert.equal(existsSync(path.join(fx.runroot, 'locks', `ctr-${id}.lock`)), false, 'its lock file is gone');
});

test("exec's refusals in docker's words: a stopped or paused container, a bad -e, -w as given, an unknown -u", async () => {
  const id = await ok(fx, ['create', '--name', 'exr', '-w', '/etc', fx.image, 'sleep', '1000']);
  // dockerd: "Container <full ID> is not running" (1).
  const stopped = await berth(fx, ['exec', 'exr', 'true']);
  assert.equal(stopped.code, 1);
  assert.equal(stopped.stderr, `Error: Container ${id} is not running\n`);
  await ok(fx, ['start', 'exr']);
  await ok(fx, ['pause', 'exr']);
  const paused = await berth(fx, ['exec', 'exr', 'true']);
  assert.equal(paused.code, 1);
  assert.equal(paused.stderr, 'Error: Container exr is paused, unpause the container before exec\n');
  await ok(fx, ['unpause', 'exr']);
  // A variable with no name is the flag's error (125), before the container is looked at.
  const noName = await berth(fx, ['exec', '-e', '=x', 'exr', 'true']);
  assert.equal(noName.code, 125);
  // docker's words and usage block, as its CLI prints a flag's error.
  assert.match(noName.stderr, /^invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x\n\nUsage: {2}berth exec \[OPTIONS\]/);
  // -w goes to the runtime as given: empty keeps the container's, a relative one is the
  // runtime's refusal (126), and the path is resolved in the container, not tidied first.
  assert.equal(await ok(fx, ['exec', '-w', '', 'exr', 'pwd']), '/etc');
  const relative = await berth(fx, ['exec', '-w', 'tmp', 'exr', 'pwd']);
  assert.equal(relative.code, 126);
  assert.match(relative.stderr, /Cwd must be an absolute path/);
  const through = await berth(fx, ['exec', '-w', '/no-such-dir/../tmp', 'exr', 'pwd']);
  assert.equal(through.code, 126);
  assert.match(through.stderr, /chdir to cwd \("\/no-such-dir\/\.\.\/tmp"\) set in config\.json failed: no such file or directory/);
  // An unknown user or group: docker's line alone (126).
  const user = await berth(fx, ['exec', '-u', 'nosuch', 'exr', 'true']);
  assert.equal(user.code, 126);
  assert.equal(user.stderr, 'Error: unable to find user nosuch: no matching entries in passwd file\n');
  const group = await berth(fx, ['exec', '-u', '0:nosuch', 'exr', 'true']);
  assert.equal(group.code, 126);
  assert.equal(group.stderr, 'Error: unable to find group nosuch: no matching entries in group file\n');
  await ok(fx, ['rm', '-f', 'exr']);
});

test('create then start -a; kill -s, wait, restart, pause/unpause, rename, rm of a running container', async () => {
  const id = await ok(fx, ['create', '--name', 'c1', fx.image, 'sh', '-c', 'echo hi; exit 4']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', id]), 'created');
  const started = await berth(fx, ['start', '-a', 'c1']);
  assert.equal(started.code, 4);
  assert.equal(started.stdout, 'hi\n');
  assert.equal(await ok(fx, ['wait', 'c1']), '4');
  await ok(fx, ['rm', 'c1']);

  await ok(fx, ['run', '-d', '--name', 'c2', fx.image, 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
  await new Promise((r) => setTimeout(r, 300));
  const waiter = berth(fx, ['wait', 'c2']);
  // An unknown signal is refused before anything is signalled, with docker's words.
  const nope = await berth(fx, ['kill', '-s', 'NOPE', 'c2']);
  assert.equal(nope.code, 1);
  assert.equal(nope.stderr, 'Error: Invalid signal: NOPE\n');
  // A number the platform has no signal for, and a container that is not running: dockerd's words.
  const tooHigh = await berth(fx, ['kill', '-s', '65', 'c2']);
  assert.equal(tooHigh.code, 1);
  assert.equal(tooHigh.stderr, 'Error: Cannot kill container: c2: The linux daemon does not support signal 65\n');
  await ok(fx, ['kill', '-s', 'USR1', 'c2']);
  assert.equal((await waiter).stdout.trim(), '42');
  // An empty -s is the default (SIGKILL), as docker's API takes it.
  await ok(fx, ['start', 'c2']);
  assert.equal(await ok(fx, ['kill', '-s', '', 'c2']), 'c2');
  assert.equal(await ok(fx, ['wait', 'c2']), '137');
  const c2 = await ok(fx, ['inspect', '-f', '{{.Id}}', 'c2']);
  // -t -1: as long as the container takes to stop, no SIGKILL (docker's: its handler's exit 3).
  await ok(fx, ['run', '-d', '--name', 'patient', fx.image, 'sh', '-c', 'trap "sleep 1; exit 3" TERM; while true; do sleep 0.1; done']);
  await waitFor(async () => (await ok(fx, ['top', 'patient'])).includes('sleep'), 'the trap to be set');
  await ok(fx, ['restart', '-t', '-1', 'patient']);
  assert.match(await ok(fx, ['events', '--since', '5m', '--until', '0s', '--filter', 'container=patient', '--filter', 'event=die', '--format', '{{.Actor.Attributes.exitCode}}']), /^3$/);
  await ok(fx, ['rm', '-f', 'patient']);
  // A restart whose start fails: dockerd's "Cannot restart container NAME: ..." (1).
  await ok(fx, ['create', '--name', 'wont-start', fx.image, 'no-such-program']);
  const wontStart = await berth(fx, ['restart', 'wont-start']);
  assert.deepEqual([wontStart.code, wontStart.stderr], [1, 'Error: Cannot restart container wont-start: exec: "no-such-program": executable file not found in $PATH\n']);
  await ok(fx, ['rm', 'wont-start']);
  const killMissing = await berth(fx, ['kill', 'no-such']);
  assert.deepEqual([killMissing.code, killMissing.stderr], [1, 'Error: Cannot kill container: no-such: No such container: no-such\n']);
  const notRunning = await berth(fx, ['kill', 'c2']);
  assert.equal(notRunning.code, 1);
  assert.equal(notRunning.stderr, `Error: Cannot kill container: c2: Container ${c2} is not running\n`);
  // restart -s with no such signal: refused at once (docker's API 1.42 on), the container
  // left as it was; it was sent nothing and left for the grace period's SIGKILL before.
  await ok(fx, ['start', 'c2']);
  const pid = await ok(fx, ['inspect', '-f', '{{.State.Pid}}', 'c2']);
  const badRestart = await berth(fx, ['restart', '-s', 'NOPE', 'c2']);
  assert.equal(badRestart.code, 1);
  assert.equal(badRestart.stderr, 'Error: Invalid signal: NOPE\n');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'c2']), `running ${pid}`);
  const stopSignal = await berth(fx, ['create', '--stop-signal', 'NOPE', fx.image, 'true']);
  assert.equal(stopSignal.code, 1);
  assert.match(stopSignal.stderr, /Invalid signal: NOPE/);

  await ok(fx, ['restart', '--timeout', '0', 'c2']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'c2']), 'running');
  // -s: the signal restart stops with (USR1 makes it exit 42 before the grace period ends).
  await ok(fx, ['restart', '-s', 'USR1', '-t', '10', 'c2']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'c2']), 'running');
  await ok(fx, ['pause', 'c2']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'c2']), 'paused');
  assert.match((await berth(fx, ['pause', 'c2'])).stderr, /already paused/);
  await ok(fx, ['unpause', 'c2']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'c2']), 'running');

  await ok(fx, ['rename', 'c2', 'c3']);
  // dockerd's words, then docker's CLI's own line; the container is looked up first.
  const same = await berth(fx, ['rename', 'c3', '/c3']);
  assert.equal(same.code, 1);
  assert.equal(same.stderr, 'Error: Renaming a container with the same name as its current name\nError: failed to rename container named c3\n');
  const badName = await berth(fx, ['rename', 'c3', 'bad name']);
  assert.equal(badName.code, 1);
  assert.equal(badName.stderr, 'Error: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named c3\n');
  const missing = await berth(fx, ['rename', 'no-such', 'x']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error: No such container: no-such\nError: failed to rename container named no-such\n');
  // docker CLI 28's check of an empty name, before any lookup.
  const empty = await berth(fx, ['rename', 'c3', '']);
  assert.deepEqual([empty.code, empty.stderr], [1, 'Error: Neither old nor new names may be empty\n']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Name}}', 'c3']), '/c3');
  const refused = await berth(fx, ['rm', 'c3']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /stop it first or use force/);
  await ok(fx, ['rm', '-f', 'c3']);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  // docker's rm -f of what is not there: said, and still a success; without -f a failure.
  const gone = await berth(fx, ['rm', '-f', 'c3']);
  assert.equal(gone.code, 0);
  assert.match(gone.stderr, /No such container: c3/);
  assert.equal((await berth(fx, ['rm', 'c3'])).code, 1);
});

test("create refuses at once what docker refuses at create, with its CLI's or its daemon's exit code", async () => {
  // dockerd 20.10 with docker's CLI 28 gave these codes for the same flags: 125 where its CLI
  // parses the value, 1 where its daemon refuses it (run: 125 for both).
  const cases: [string[], number, RegExp][] = [
    [['--sysctl', 'foo.bar=1'], 125, /sysctl 'foo.bar=1' is not allowed/],
    [['--ulimit', 'nofile=300:200'], 125, /soft limit 300 is above hard limit 200/],
    // docker's CLI: 'docker: Invalid --security-opt: "bogus"' (125), and its daemon:
    // 'Error response from daemon: invalid --security-opt 2: "foo=bar"' (1); berth had read
    // 'seccomp' alone as a profile file named 'true'.
    [['--security-opt', 'bogus'], 125, /^Error: Invalid --security-opt: "bogus"\n$/],
    [['--security-opt', 'seccomp'], 125, /^Error: Invalid --security-opt: "seccomp"\n$/],
    [['--security-opt', 'seccomp=/no/such'], 125, /^Error: opening seccomp profile \(\/no\/such\) failed: open \/no\/such: no such file or directory\n$/],
    [['--security-opt', 'foo=bar'], 1, /^Error: invalid --security-opt 2: "foo=bar"\n$/],
    [['--security-opt', 'no-new-privileges=maybe'], 1, /^Error: invalid --security-opt 2: "no-new-privileges=maybe"\n$/],
    [['--security-opt', 'systempaths=x'], 1, /^Error: invalid --security-opt 2: "systempaths=x"\n$/],
    [['--mount', 'bogus'], 125, /^invalid argument "bogus" for "--mount" flag: invalid field 'bogus' must be a key=value pair\n/],
    // dockerd: 'Error response from daemon: invalid CapAdd: unknown capability: "CAP_FOO"'.
    [['--cap-add', 'foo'], 1, /^Error: invalid CapAdd: unknown capability: "CAP_FOO"\n$/],
    [['--cap-add', 'ALL', '--cap-drop', 'cap_bogus'], 1, /^Error: invalid CapDrop: unknown capability: "CAP_BOGUS"\n$/],
    [['--restart', 'bogus'], 1, /^Error: invalid restart policy 'bogus'\n$/],
    [['--restart', 'on-failure:x'], 125, /^Error: invalid restart policy format: maximum retry count must be an integer\n$/],
    [['--oom-score-adj', '5000'], 1, /range for oom score adj is \[-1000, 1000\]/],
    // dockerd: 'Error response from daemon: invalid mode: zz'.
    [['-v', '/a:/b:zz'], 1, /^Error: invalid mode: zz\n$/],
    [['-v', '/a:/b:ro,rw'], 1, /^Error: invalid mode: ro,rw\n$/],
    [['--mount', 'type=bogus,target=/x'], 1, /^Error: invalid mount config for type "bogus": mount type unknown\n$/],
    // docker's CLI checks --pid and --uts (125), its daemon --ipc (1).
    [['--pid', 'bogus'], 125, /^Error: --pid: invalid PID mode\n$/],
    [['--ipc', 'bogus'], 1, /^Error: Invalid IPC mode: bogus\n$/],
    [['--uts', 'host', '-h', 'foo'], 1, /conflicting options: hostname and the UTS mode/],
    [['--restart', 'always', '--rm'], 125, /conflicting options: cannot specify both --restart and --rm/],
  ];
  for (const [flags, code, message] of cases) {
    const r = await berth(fx, ['create', ...flags, fx.image, 'true']);
    assert.equal(r.code, code, flags.join(' '));
    assert.match(r.stderr, message);
  }
  assert.equal((await berth(fx, ['run', '--rm', '--cap-add', 'BOGUS', fx.image, 'true'])).code, 125);
  assert.equal(await ok(fx, ['ps', '-aq']), '', 'nothing was made');
});

test('stop, kill and rm of several containers work on them at once, as docker\'s CLI; names print in the order given', async () => {
  // sleep as PID 1 ignores SIGTERM: each stop takes its whole -t 1. docker's CLI stops the three
  // in parallel (one second for all, measured against dockerd 20.10); berth took three.
  for (const n of ['par1', 'par2', 'par3']) await ok(fx, ['run', '-d', '--name', n, fx.image, 'sleep', '600']);
  const stopped = await berth(fx, ['stop', '-t', '1', 'par1', 'no-such', 'par2', 'par3']);
  assert.equal(stopped.code, 1);
  assert.equal(stopped.stdout, 'par1\npar2\npar3\n');
  assert.equal(stopped.stderr, 'Error: No such container: no-such\n');
  const finished = (await ok(fx, ['inspect', '-f', '{{.State.FinishedAt}}', 'par1', 'par2', 'par3'])).split('\n').map((t) => Date.parse(t));
  assert.ok(Math.max(...finished) - Math.min(...finished) < 900, `stopped together, not a second apart: ${finished.join(' ')}`);
  assert.equal(await ok(fx, ['rm', 'par3', 'par1', 'par2']), 'par3\npar1\npar2');
});

test('names are unique; IDs resolve by unique prefix; a bad name is refused', async () => {
  const id = await ok(fx, ['create', '--name', 'dup', fx.image, 'true']);
  const again = await berth(fx, ['create', '--name', 'dup', fx.image, 'true']);
  assert.equal(again.code, 1);
  // dockerd 20.10's words.
  assert.equal(again.stderr, `Error: Conflict. The container name "/dup" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`);
  assert.equal((await berth(fx, ['create', '--name', 'bad name', fx.image, 'true'])).code, 1);
  // podman's container exists: the exit code says, by name or ID prefix.
  assert.equal((await berth(fx, ['container', 'exists', 'dup'])).code, 0);
  assert.equal((await berth(fx, ['container', 'exists', id.slice(0, 12)])).code, 0);
  assert.equal((await berth(fx, ['container', 'exists', 'no-such-container'])).code, 1);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Id}}', id.slice(0, 8)]), id);
  const other = await ok(fx, ['create', fx.image, 'true']);
  assert.match(await ok(fx, ['inspect', '-f', '{{.Name}}', other]), /^\/[a-z]+_[a-z]+\d*$/);
  assert.equal((await ok(fx, ['container', 'prune', '-f'])).split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)).length, 2);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test('container prune asks first, as docker does, and keeps to its label filters', async () => {
  const keep = await ok(fx, ['create', '--label', 'team=a', fx.image, 'true']);
  const other = await ok(fx, ['create', fx.image, 'true']);
  // Without -f: docker's question; anything but y (here n, or no input at all) removes nothing.
  for (const input of ['n\n', '']) {
    const asked = await berth(fx, ['container', 'prune'], { input });
    assert.equal(asked.code, 0);
    assert.equal(asked.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
  }
  assert.equal((await ok(fx, ['ps', '-aq', '--no-trunc'])).split('\n').length, 2);
  // A bad filter fails before the question; label!= spares the labelled one, label= takes it.
  // In docker's words (its daemon's, 1; its CLI's for a filter with no "=", 125).
  for (const [filters, code, why] of [
    [['bogus=1'], 1, "Invalid filter 'bogus'"],
    [['until=soon'], 1, 'failed to parse value as time or duration: "soon"'],
    [['until=1h', 'until=2h'], 1, 'more than one until filter specified'],
    [['bogus'], 125, 'invalid argument "bogus" for "--filter" flag: bad format of filter (expected name=value)'],
  ] as const) {
    const bad = await berth(fx, ['container', 'prune', ...filters.flatMap((f) => ['--filter', f])], { input: 'y\n' });
    // A flag's error is printed as docker's CLI prints one: its words, then the usage block.
    const shown = code === 125 ? `${why}\n\nUsage:  berth container prune [OPTIONS]\n\nRun 'berth container prune --help' for more information\n` : `Error: ${why}\n`;
    assert.deepEqual([bad.code, bad.stdout, bad.stderr], [code, '', shown]);
  }
  assert.equal(await ok(fx, ['container', 'prune', '-f', '--filter', 'label!=team=a']), `Deleted Containers:\n${other}\n\nTotal reclaimed space: 0B`);
  assert.equal(await ok(fx, ['container', 'prune', '--filter', 'label=team'], { input: 'y\n' }), `WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n${keep}\n\nTotal reclaimed space: 0B`);
  // The space in docker's units.HumanSize, four digits (dockerd 20.10 for the same files: 3.078kB).
  await ok(fx, ['run', '--label', 'space=1', fx.image, 'sh', '-c', 'echo hello > /f; dd if=/dev/zero of=/g bs=1k count=3 2>/dev/null']);
  assert.match(await ok(fx, ['container', 'prune', '-f', '--filter', 'label=space']), /\n\nTotal reclaimed space: 3\.078kB$/);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test('a container from an untagged intermediate layer (berth image tree IDs)', async () => {
  const short = fx.baseLayer.slice(7, 19);
  // The bottom layer has busybox but not /hello, which the tagged image's second layer adds.
  assert.equal(await ok(fx, ['run', '--rm', short, 'sh', '-c', 'ls /hello 2>/dev/null || echo absent']), 'absent');
  assert.equal(await ok(fx, ['run', '--rm', fx.baseLayer, 'cat', '/etc/passwd']).then((s) => s.split('\n')[0]), 'root:x:0:0:root:/root:/bin/sh');
  assert.equal(await ok(fx, ['run', '--rm', fx.image, 'cat', '/hello']), 'hello from layer 2');
});

test('the image cannot be removed while a container holds it', async () => {
  await ok(fx, ['create', '--name', 'holder', fx.image, 'true']);
  const id = await ok(fx, ['inspect', '-f', '{{.Id}}', 'holder']);
  const image = await ok(fx, ['image', 'inspect', '-f', '{{.Id}}', fx.image]);
  const r = await berth(fx, ['rmi', fx.image]);
  assert.equal(r.code, 1);
  // docker's words (dockerd 20.10, the same rmi of an image's last name while a container uses it).
  assert.equal(r.stderr, `Error: conflict: unable to remove repository reference "${fx.image}" (must force) - container ${id.slice(0, 12)} is using its referenced image ${image.slice(7, 19)}\n`);
  // By its ID: dockerd 20.10's "unable to delete ID (must be forced) - image is being used by
  // stopped container ID" (berth said "by container ID").
  const byId = await berth(fx, ['rmi', image.slice(7, 19)]);
  assert.equal(byId.code, 1);
  assert.equal(byId.stderr, `Error: conflict: unable to delete ${image.slice(7, 19)} (must be forced) - image is being used by stopped container ${id.slice(0, 12)}\n`);
  // docker's -f: an image that is not there is said, and no failure.
  const gone = await berth(fx, ['rmi', '-f', 'no/such:image']);
  assert.deepEqual([gone.code, gone.stderr], [0, 'Error: No such image: no/such:image\n']);
  // -f does not delete an image a running container uses (dockerd 20.10: "cannot be forced");
  // -f of one of its names untags that name only, as docker's.
  await ok(fx, ['tag', fx.image, 'test/second:name']);
  const runner = await ok(fx, ['run', '-d', '--name', 'runner', fx.image, 'sleep', '600']);
  const forced = await berth(fx, ['rmi', '-f', image.slice(7, 19)]);
  assert.deepEqual([forced.code, forced.stderr], [1, `Error: conflict: unable to delete ${image.slice(7, 19)} (cannot be forced) - image is being used by running container ${runner.slice(0, 12)}\n`]);
  assert.equal(await ok(fx, ['rmi', '-f', 'test/second:name']), 'Untagged: test/second:name');
  // Without -f, by its ID, under a running container: dockerd's hard conflict all the same.
  const unforced = await berth(fx, ['rmi', image.slice(7, 19)]);
  assert.deepEqual([unforced.code, unforced.stderr], [1, `Error: conflict: unable to delete ${image.slice(7, 19)} (cannot be forced) - image is being used by running container ${runner.slice(0, 12)}\n`]);
  assert.equal(await ok(fx, ['image', 'inspect', '-f', '{{.Id}}', fx.image]), image);
  await ok(fx, ['rm', '-f', 'runner']);
  await ok(fx, ['rm', 'holder']);
});

test('run -it gets a real terminal of the caller size; -i passes stdin; the exit code comes back', async () => {
  const { spawnSync } = await import('node:child_process');
  const { BERTH } = await import('./engine-fixture.js');
  const cli = `${process.execPath} ${BERTH} --root ${fx.root} --runroot ${fx.runroot}`;
  const r = spawnSync('script', ['-qec', `stty rows 33 cols 99; ${cli} run --rm -it ${fx.image} sh -c 'tty; stty size; exit 3'`, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.match(r.stdout, /33 99/);
  const piped = await berth(fx, ['run', '--rm', '-i', fx.image, 'sh'], { input: 'echo from-stdin; exit 4\n' });
  assert.equal(piped.code, 4);
  assert.equal(piped.stdout, 'from-stdin\n');
});

test('run -it from a terminal: ctrl-p ctrl-q detaches and it runs on (--rm: removed when it exits); an exit removes it first', async () => {
  const cli = `${process.execPath} ${BERTH} --root ${fx.root} --runroot ${fx.runroot}`;
  // In a terminal (script's pty): typed into, then left with the detach keys.
  const term = spawn('script', ['-qec', `stty rows 20 cols 70; ${cli} run --rm -it --name itd ${fx.image} sh; echo run-rc=$?`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  term.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
  await waitFor(async () => (await berth(fx, ['inspect', '-f', '{{.State.Status}}', 'itd'])).stdout.trim() === 'running', 'the container running');
  term.stdin.write('stty size; echo mark-$((6*7))\r');
  await waitFor(async () => /20 70/.test(screen) && /mark-42/.test(screen), 'the terminal size and the echo');
  term.stdin.write('\x10\x11');
  await once(term, 'exit');
  assert.match(screen, /run-rc=0/);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.HostConfig.AutoRemove}}', 'itd']), 'running true');
  // Back in, from a terminal (docker's CLI refuses a terminal container's stdin from none),
  // and out by exit: the monitor's cleanup applies --rm.
  const back = spawn('script', ['-qec', `${cli} attach itd; echo attach-rc=$?`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let backScreen = '';
  back.stdout.setEncoding('utf8').on('data', (d: string) => (backScreen += d));
  // Enter until the shell's prompt comes back through the attach, then the exit.
  await waitFor(async () => {
    back.stdin.write('\r');
    await new Promise((r) => setTimeout(r, 200));
    return /# /.test(backScreen);
  }, 'the prompt through the attach');
  back.stdin.write('exit 7\r');
  await once(back, 'exit');
  assert.match(backScreen, /attach-rc=7/);
  await waitFor(async () => (await berth(fx, ['inspect', 'itd'])).code !== 0, 'the --rm container removed after its exit');
  // Not detached: the exit code comes back and the container is gone when run returns.
  const ran = spawn('script', ['-qec', `${cli} run --rm -it --name itx ${fx.image} sh -c 'exit 9'; echo run-rc=$?; ${cli} ps -aq --filter name=itx | wc -l`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  ran.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await once(ran, 'exit');
  assert.match(out, /run-rc=9\r?\n0\r?\n/);
  // The attached CLI killed (kill -9): the removal it held goes to whoever settles the exit.
  const held = spawn('script', ['-qec', `${cli} run --rm -it --name itk ${fx.image} sh`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  await waitFor(async () => (await berth(fx, ['inspect', '-f', '{{.State.Status}}', 'itk'])).stdout.trim() === 'running', 'itk running');
  const cliPid = readdirSync('/proc').find((p) => /^\d+$/.test(p) && readTextOr(`/proc/${p}/cmdline`).includes('--name\0itk'));
  assert.ok(cliPid, 'the run -it CLI process');
  process.kill(Number(cliPid), 'SIGKILL');
  held.kill('SIGKILL');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'itk']), 'running', 'the container outlives its CLI');
  await ok(fx, ['stop', '-t', '0', 'itk']);
  await waitFor(async () => (await berth(fx, ['inspect', 'itk'])).code !== 0, 'the --rm container removed once its exit was settled');
  // wait on a --rm container: its exit code, though the container is gone by then.
  await ok(fx, ['run', '-d', '--rm', '--name', 'itw', fx.image, 'sh', '-c', 'sleep 0.5; exit 5']);
  assert.equal(await ok(fx, ['wait', 'itw']), '5');
  // A bad --detach-keys is refused before anything is made.
  const bad = await berth(fx, ['run', '-it', '--detach-keys', 'ctrl-1', '--name', 'itbad', fx.image, 'sh']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid detach keys/);
  assert.notEqual((await berth(fx, ['inspect', 'itbad'])).code, 0);
  assert.deepEqual(await mountsUnder(fx), []);
});

test('exec -it from a terminal: ctrl-p ctrl-q detaches and the process runs on; its exit code otherwise; rm -f ends it', async () => {
  const cli = `${process.execPath} ${BERTH} --root ${fx.root} --runroot ${fx.runroot}`;
  const id = await ok(fx, ['run', '-d', '--name', 'xit', fx.image, 'sleep', '1000']);
  const inTerminal = (command: string) => {
    const term = spawn('script', ['-qec', `stty rows 20 cols 70; ${command}; echo exec-rc=$?`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const screen = { text: '' };
    term.stdout.setEncoding('utf8').on('data', (d: string) => (screen.text += d));
    return { term, screen, exited: once(term, 'exit') };
  };
  // A shell, typed into: its terminal has the local one's size; the detach keys leave it running.
  const shell = inTerminal(`${cli} exec -it xit sh`);
  await waitFor(async () => shell.screen.text.includes('# '), 'the shell prompt');
  shell.term.stdin.write('stty size; echo mark-$((6*7))\r');
  await waitFor(async () => /20 70/.test(shell.screen.text) && /mark-42/.test(shell.screen.text), 'the terminal size and the echo');
  shell.term.stdin.write('\x10\x11');
  await shell.exited;
  assert.match(shell.screen.text, /read escape sequence\r\nexec-rc=1/);
  assert.match(await ok(fx, ['top', 'xit']), /\ssh\s*$/m, 'the detached shell runs on');
  // --detach-keys: ctrl-x alone; the process (no shell to type into) runs on too.
  const sleeper = inTerminal(`${cli} exec -it --detach-keys ctrl-x xit sh -c 'echo started; exec sleep 300'`);
  await waitFor(async () => sleeper.screen.text.includes('started'), 'the exec to start');
  sleeper.term.stdin.write('\x18');
  await sleeper.exited;
  assert.match(sleeper.screen.text, /exec-rc=1/);
  assert.match(await ok(fx, ['exec', 'xit', 'ps', '-o', 'args']), /^sleep 300$/m);
  // Not detached: the process's exit code, and its session's files are gone with it.
  const seven = inTerminal(`${cli} exec -it xit sh -c 'echo out; exit 7'`);
  await seven.exited;
  // The container's CR LF reaches the terminal as it was written (docker's raw mode: no output
  // processing; Node's own raw mode made it CR CR LF).
  assert.match(seven.screen.text, /out\r\nexec-rc=7/);
  const sessions = path.join(fx.runroot, 'containers', id, 'exec');
  assert.equal(readdirSync(sessions).length, 2, 'the two detached sessions only');
  // A program that cannot start: docker's 126, the runtime's line once; no session left.
  const missing = inTerminal(`${cli} exec -it xit no-such-program`);
  await missing.exited;
  assert.match(missing.screen.text, /^exec failed: .*"no-such-program": executable file not found in \$PATH\r\nexec-rc=126/m);
  assert.equal(readdirSync(sessions).length, 2);
  // A detached process that ends on its own: its exec_die (docker writes one too), its files gone.
  const brief = inTerminal(`${cli} exec -it xit sh -c 'echo started; sleep 1; exit 5'`);
  await waitFor(async () => brief.screen.text.includes('started'), 'the brief exec to start');
  brief.term.stdin.write('\x10\x11');
  await brief.exited;
  assert.match(brief.screen.text, /exec-rc=1/);
  await waitFor(async () => readdirSync(sessions).length === 2, "the ended session's files removed");
  const events = await ok(fx, ['events', '--since', '1m', '--until', '0s', '--filter', 'container=xit']);
  assert.match(events, /exec_die \S+ \(execID=\w+, exitCode=5,/);
  assert.match(events, /exec_die \S+ \(execID=\w+, exitCode=7,/);
  // The CLI ended by a signal (its terminal closed: SIGHUP): 128+1, and the process runs on as
  // after a detach, its session no longer marked attached.
  const hup = inTerminal(`${cli} exec -it xit sh -c 'echo started; exec sleep 301'`);
  await waitFor(async () => hup.screen.text.includes('started'), 'the exec to start');
  const hupCli = readdirSync('/proc').find((p) => /^\d+$/.test(p) && readTextOr(`/proc/${p}/cmdline`).startsWith(`${process.execPath}\0`) && readTextOr(`/proc/${p}/cmdline`).includes('exec sleep 301'));
  assert.ok(hupCli, 'the exec -it CLI process');
  process.kill(Number(hupCli), 'SIGHUP');
  await hup.exited;
  assert.match(hup.screen.text, /exec-rc=129/);
  assert.match(await ok(fx, ['exec', 'xit', 'ps', '-o', 'args']), /^sleep 301$/m);
  assert.equal(readdirSync(sessions).length, 3);
  assert.deepEqual(readdirSync(sessions).filter((s) => existsSync(path.join(sessions, s, 'attached'))), []);
  // -it with no terminal to read: docker's CLI refuses it before anything runs.
  const piped = await berth(fx, ['exec', '-it', 'xit', 'sh'], { input: 'echo hi\n' });
  assert.deepEqual([piped.code, piped.stderr], [1, 'the input device is not a TTY\n']);
  const badKeys = await berth(fx, ['exec', '-it', '--detach-keys', 'ctrl-1', 'xit', 'sh']);
  assert.equal(badKeys.code, 1);
  assert.match(badKeys.stderr, /invalid detach keys \(ctrl-1\)/);
  // rm -f: the detached processes end with the container, their conmons and files with them.
  const conmons = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readTextOr(`/proc/${p}/comm`) === 'conmon\n' && readTextOr(`/proc/${p}/cmdline`).includes(fx.runroot));
  assert.equal(conmons().length, 4, "the container's conmon and one for each detached exec");
  await ok(fx, ['rm', '-f', 'xit']);
  await waitFor(async () => conmons().length === 0, 'no conmon left');
  await waitFor(async () => readdirSync(path.join(fx.runroot, 's')).length === 0, 'no attach socket links left');
  assert.equal(existsSync(path.join(fx.runroot, 'containers', id)), false);
});

test('signals to the CLI reach the container, attached with --rm and attached under the monitor', async () => {
  const { spawn } = await import('node:child_process');
  const { BERTH } = await import('./engine-fixture.js');
  for (const extra of [['--rm'], ['--name', 'sig2']]) {
    const child = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'run', ...extra, fx.image, 'sh', '-c', 'trap "echo got INT; exit 9" INT; echo ready; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    await waitFor(async () => out.includes('ready'), 'the container to start', 20_000);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 9, `${extra.join(' ')}: ${out}`);
    assert.match(out, /got INT/);
  }
  await ok(fx, ['rm', 'sig2']);
});

test('--restart on-failure:N restarts through the monitor exit command, N times; stop is final for always', async () => {
  await ok(fx, ['run', '-d', '--name', 'rp', '--restart', 'on-failure:2', fx.image, 'sh', '-c', 'echo run; exit 1']);
  await waitFor(async () => (await ok(fx, ['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'rp'])) === '2 exited', 'two restarts', 30_000);
  assert.equal(await ok(fx, ['logs', 'rp']), 'run\nrun\nrun');
  await ok(fx, ['rm', 'rp']);
  await ok(fx, ['run', '-d', '--name', 'ra', '--restart', 'always', fx.image, 'sleep', '1000']);
  await ok(fx, ['stop', '-t', '0', 'ra']);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'ra']), 'exited 0');
  await ok(fx, ['rm', 'ra']);
});

test('exec -d, attach, logs --since/-f, ps filters and formats, container ls, inspect of an image', async () => {
  const id = await ok(fx, ['run', '-d', '--name', 'misc', '--label', 'tier=web', fx.image, 'sh', '-c', 'echo first; sleep 1000']);
  await ok(fx, ['exec', '-d', 'misc', 'sh', '-c', 'echo detached > /tmp/d']);
  await waitFor(async () => (await berth(fx, ['exec', 'misc', 'cat', '/tmp/d'])).stdout === 'detached\n', 'exec -d to run');
  // exec -d of what cannot start: 1, as docker's CLI (it hears the daemon refuse the start), not 126.
  for (const args of [['no-such-program'], ['-u', 'nosuch', 'true'], ['-w', '/no/such/dir', 'true']]) {
    const failed = await berth(fx, ['exec', '-d', ...args.slice(0, -1), 'misc', ...args.slice(-1)]);
    assert.equal(failed.code, 1, args.join(' '));
    assert.match(failed.stderr, /executable file not found|unable to find user nosuch|chdir to cwd/);
  }
  assert.equal(await ok(fx, ['ps', '--filter', 'label=tier=web', '--format', '{{.Names}}']), 'misc');
  // docker's row methods and fields (the same template on dockerd 20.10 printed the same).
  assert.equal(await ok(fx, ['ps', '--filter', 'name=misc', '--format', '{{.Label "tier"}}|{{.Label "nope"}}|{{.Networks}}|{{.LocalVolumes}}|{{.Mounts}}|{{.Command}}']), `web||none|0||"sh -c 'echo first; …"`);
  // -s: the writable layer (it holds /tmp/d now) and, with the image under it, the virtual size.
  assert.match(await ok(fx, ['ps', '-s', '--filter', 'name=misc', '--format', '{{.Size}}']), /^\d+(\.\d+)?k?B \(virtual \d+(\.\d+)?[kM]?B\)$/);
  // As docker's CLI: a template that reads .Size asks for it; --format json has docker's "0B".
  assert.match(await ok(fx, ['ps', '--filter', 'name=misc', '--format', '{{.Size}}']), /^\d+(\.\d+)?k?B \(virtual /);
  const row = JSON.parse(await ok(fx, ['ps', '--filter', 'name=misc', '--format', '{{json .}}']));
  assert.deepEqual(Object.keys(row), Object.keys(row).sort(), "{{json .}} is the row's map, keys in byte order");
  assert.match(row.Size, /virtual/);
  assert.equal(JSON.parse(await ok(fx, ['ps', '--filter', 'name=misc', '--format', 'json'])).Size, '0B');
  const bogus = await berth(fx, ['ps', '--filter', 'name=misc', '--format', '{{.Bogus}}']);
  assert.equal(bogus.code, 1);
  assert.match(bogus.stderr, /can't evaluate field Bogus in type \*formatter\.ContainerContext/);
  const [rw, rootFs] = (await ok(fx, ['inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'misc'])).split(' ').map(Number);
  assert.ok(rw > 0 && rootFs > rw, `${rw} ${rootFs}`);
  assert.equal(await ok(fx, ['ps', '--filter', 'label=tier=db', '-q']), '');
  assert.equal(await ok(fx, ['ps', '--filter', 'status=running', '--filter', `ancestor=${fx.image}`, '-q']), id.slice(0, 12));
  // One key's values are ORed, the keys ANDed (docker's rule); before/since by another container.
  const later = await ok(fx, ['create', '--name', 'later', fx.image, 'true']);
  assert.equal(await ok(fx, ['ps', '-a', '--filter', 'status=running', '--filter', 'status=created', '--format', '{{.Names}}']), 'later\nmisc');
  assert.equal(await ok(fx, ['ps', '-a', '--filter', 'since=misc', '-q', '--no-trunc']), later);
  assert.equal(await ok(fx, ['ps', '-a', '--filter', 'before=later', '--filter', 'name=misc', '-q', '--no-trunc']), id);
  assert.equal((await berth(fx, ['ps', '--filter', 'before=nosuch'])).code, 1);
  // ancestor= by any name of the image, its ID, or an image built on it (docker's "descendant");
  // the other keys dockerd 20.10 takes, on the same containers, gave the same lists.
  const imageId = await ok(fx, ['image', 'inspect', '-f', '{{.Id}}', fx.image]);
  await ok(fx, ['commit', 'later', 'test/descendant:1']);
  const child = await ok(fx, ['create', '--name', 'child', '-v', 'psvol:/data', '--network', 'host', 'test/descendant:1', 'true']);
  const names = async (...filters: string[]) => (await ok(fx, ['ps', '-a', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Names}}'])).split('\n').sort().join(' ');
  for (const ancestor of [fx.image, `docker.io/${fx.image}`, fx.image.replace(/:latest$/, ''), imageId.slice(7, 19), imageId]) {
    assert.equal(await names(`ancestor=${ancestor}`), 'child later misc', ancestor);
  }
  assert.equal(await names('ancestor=test/descendant:1'), 'child');
  assert.equal(await names('ancestor=no/such:image'), '');
  assert.equal(await names('volume=psvol'), 'child');
  assert.equal(await names('volume=/data'), 'child');
  assert.equal(await names('network=host'), 'child');
  assert.equal(await names('name=/child'), 'child');
  assert.equal(await names('is-task=false', 'name=^(child|misc)$'), 'child misc');
  assert.equal(await names('is-task=true'), '');
  assert.equal(await names('publish=80'), '');
  for (const [filter, message] of [
    ['status=bogus', /the status is one of created/],
    ['exited=x', /want an exit code/],
    ['is-task=maybe', /want true or false/],
    ['expose=http', /want PORT/],
  ] as const) {
    const r = await berth(fx, ['ps', '--filter', filter]);
    assert.equal(r.code, 1, filter);
    assert.match(r.stderr, message);
  }
  assert.equal(child.length, 64);
  await ok(fx, ['rm', 'child']);
  await ok(fx, ['volume', 'rm', 'psvol']);
  await ok(fx, ['rmi', 'test/descendant:1']);
  await ok(fx, ['rm', 'later']);
  const envFile = path.join(fx.dir, 'exec-env');
  await fs.writeFile(path.join(fx.dir, 'exec-env'), '# exec\nFROM_FILE=1\nBOTH=file\n');
  assert.equal(await ok(fx, ['exec', '--env-file', envFile, '-e', 'BOTH=flag', 'misc', 'sh', '-c', 'echo $FROM_FILE $BOTH']), '1 flag');
  assert.equal(await ok(fx, ['container', 'ls', '-q', '--no-trunc']), id);
  // container inspect: containers only, as docker's (an image's name is no container).
  assert.equal(await ok(fx, ['container', 'inspect', '-f', '{{.Id}}', 'misc']), id);
  assert.equal((await berth(fx, ['container', 'inspect', fx.image])).code, 1);
  assert.equal(await ok(fx, ['logs', '--since', '1h', 'misc']), 'first');
  assert.equal(await ok(fx, ['logs', '--since', '2099-01-01T00:00:00Z', 'misc']), '');
  // docker's --format json: one object a line, keys in order, the same keys as its ps's.
  const json = (await ok(fx, ['ps', '--format', 'json'])).split('\n').map((l) => JSON.parse(l)) as { Names: string; CreatedAt: string }[];
  assert.equal(json.length, 1);
  assert.equal(json[0].Names, 'misc');
  for (const key of ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'State', 'Status']) assert.ok(key in json[0], key);
  assert.deepEqual(Object.keys(json[0]), Object.keys(json[0]).sort());
  assert.match(json[0].CreatedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
  // attach and logs -f both end when the container does.
  const attach = berth(fx, ['attach', 'misc']);
  const follow = berth(fx, ['logs', '-f', 'misc']);
  await new Promise((r) => setTimeout(r, 500));
  await ok(fx, ['exec', 'misc', 'sh', '-c', 'echo second > /proc/1/fd/1']);
  await new Promise((r) => setTimeout(r, 300));
  await ok(fx, ['kill', 'misc']);
  const a = await attach;
  assert.equal(a.code, 137);
  assert.match(a.stdout, /second/);
  assert.equal((await follow).stdout, 'first\nsecond\n');
  const img = JSON.parse(await ok(fx, ['inspect', '--type', 'image', fx.image])) as { Id: string }[];
  assert.match(img[0].Id, /^sha256:/);
  assert.equal((await berth(fx, ['inspect', '--type', 'container', fx.image])).code, 1);
  await ok(fx, ['rm', 'misc']);
});

test('attach joins stdin to a container run with -d -i, through the monitor; the exit code comes back', async () => {
  await ok(fx, ['run', '-d', '-i', '--name', 'att', fx.image, 'sh', '-c', 'echo ready; read line; echo "got $line"; exit 6']);
  await waitFor(async () => (await ok(fx, ['logs', 'att'])) === 'ready', 'the container to start');
  const r = await berth(fx, ['attach', 'att'], { input: 'hello there\n' });
  assert.equal(r.code, 6);
  assert.match(r.stdout, /got hello there/);
  assert.equal(await ok(fx, ['logs', 'att']), 'ready\ngot hello there');
  await ok(fx, ['rm', 'att']);
});

test('--runtime NAME|PATH and the configured runtime list (berth.toml [engine] runtimes)', async () => {
  assert.equal(await ok(fx, ['run', '--rm', '--runtime', '/usr/sbin/runc', fx.image, 'echo', 'by-path']), 'by-path');
  const crun = await berth(fx, ['run', '--rm', '--runtime', 'crun', fx.image, 'true']);
  assert.equal(crun.code, 125);
  assert.match(crun.stderr, /crun/);
  assert.match((await berth(fx, ['run', '--rm', '--runtime', 'nosuch-runtime', fx.image, 'true'])).stderr, /not installed/);
  const cfg = path.join(fx.dir, 'berth.toml');
  await fs.writeFile(cfg, '[engine]\nruntimes = ["nosuch-runtime", "runc"]\n');
  const id = await ok(fx, ['create', fx.image, 'true'], { env: { BERTH_CONFIG: cfg } });
  assert.equal(await ok(fx, ['inspect', '-f', '{{.OCIRuntime}}', id]), 'runc');
  await ok(fx, ['rm', id]);
  await fs.writeFile(cfg, '[engine]\nruntimes = ["nosuch-runtime"]\n');
  const none = await berth(fx, ['create', fx.image, 'true'], { env: { BERTH_CONFIG: cfg } });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /cannot find a working OCI runtime/);
});
