import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkName, logFileWarning, newContainerId, parseDevice, parseDeviceCgroupRule, parseExpose, parseExtraHost, parseLogConfig, randomName, statusText } from './container.js';

test('IDs are 64 hex digits', () => {
  assert.match(newContainerId(), /^[0-9a-f]{64}$/);
});

test("docker's name rule; a leading slash is dropped", () => {
  assert.equal(checkName('/web_1.a-b'), 'web_1.a-b');
  for (const bad of ['', 'a', '-x', 'a b', 'a/b', '../x', 'x'.repeat(254)]) assert.throws(() => checkName(bad), /^BerthError: Invalid container name \(.*\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed$/s, bad);
  assert.match(randomName(), /^[a-z]+_[a-z]+$/);
  assert.match(randomName(3), /^[a-z]+_[a-z]+3$/);
});

test("docker's status words", () => {
  const now = Date.parse('2024-01-01T00:10:00Z');
  assert.equal(statusText({ status: 'created', pid: 0, monitorPid: 0, restartCount: 0 }, now), 'Created');
  assert.equal(statusText({ status: 'running', pid: 1, monitorPid: 1, restartCount: 0, startedAt: '2024-01-01T00:08:00Z' }, now), 'Up 2 minutes');
  assert.equal(statusText({ status: 'exited', pid: 0, monitorPid: 0, restartCount: 0, exitCode: 3, finishedAt: '2024-01-01T00:09:59Z' }, now), 'Exited (3) 1 second ago');
});

test("docker's --device syntax: HOST[:CONTAINER][:PERMISSIONS]", () => {
  assert.deepEqual(parseDevice('/dev/fuse'), { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/fuse:r'), { host: '/dev/fuse', container: '/dev/fuse', permissions: 'r' });
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvda'), { host: '/dev/sda', container: '/dev/xvda', permissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvda:rw'), { host: '/dev/sda', container: '/dev/xvda', permissions: 'rw' });
  assert.deepEqual(parseDevice('/dev/snd/:/dev/snd/'), { host: '/dev/snd', container: '/dev/snd', permissions: 'rwm' });
  // docker's CLI's words: 'dev/sda is not an absolute path', 'bad mode specified: rwx', 'bad format for path: /a:/b:r:w'.
  assert.throws(() => parseDevice('dev/sda'), /^BerthError: dev\/sda is not an absolute path$/);
  assert.throws(() => parseDevice('/dev/sda:xvda:rw'), /^BerthError: xvda is not an absolute path$/);
  assert.throws(() => parseDevice('/dev/sda:/dev/xvda:rwx'), /^BerthError: bad mode specified: rwx$/);
  assert.throws(() => parseDevice('/dev/sda:/dev/xvda:rr'), /^BerthError: bad mode specified: rr$/);
  assert.throws(() => parseDevice('/dev/sda:/dev/xvda:'), /^BerthError: bad mode specified: $/);
  assert.throws(() => parseDevice('/a:/b:r:w'), /^BerthError: bad format for path: \/a:\/b:r:w$/);
  assert.throws(() => parseDevice(':/b'), /^BerthError: bad format for path: :\/b$/);
});

test("docker's --add-host: HOST:IP or HOST=IP, IPv6 with or without brackets", () => {
  assert.deepEqual(parseExtraHost('db:10.0.0.5'), { host: 'db', ip: '10.0.0.5' });
  assert.deepEqual(parseExtraHost('db=10.0.0.5'), { host: 'db', ip: '10.0.0.5' });
  assert.deepEqual(parseExtraHost('v6:::1'), { host: 'v6', ip: '::1' });
  assert.deepEqual(parseExtraHost('v6=[2001:db8::1]'), { host: 'v6', ip: '2001:db8::1' });
  // docker's CLI's words, the why of its flag error.
  assert.throws(() => parseExtraHost('db'), /^BerthError: bad format for add-host: "db"$/);
  assert.throws(() => parseExtraHost(':10.0.0.5'), /^BerthError: bad format for add-host: ":10.0.0.5"$/);
  assert.throws(() => parseExtraHost('db:nope'), /^BerthError: invalid IP address in add-host: "nope"$/);
  assert.throws(() => parseExtraHost('db:host-gateway'), /bridged network/);
});

test("docker's --log-driver/--log-opt as far as conmon's one log file goes", () => {
  const bytes = (t: string) => Number(t.replace(/k$/, '')) * (t.endsWith('k') ? 1024 : 1);
  assert.equal(parseLogConfig(undefined, [], bytes), undefined);
  assert.deepEqual(parseLogConfig(undefined, ['max-size=2k'], bytes), { driver: 'json-file', options: { 'max-size': '2k' }, maxSize: 2048 });
  assert.deepEqual(parseLogConfig('none', [], bytes), { driver: 'none', options: {} });
  assert.deepEqual(parseLogConfig('k8s-file', ['max-file=1', 'max-size=-1'], bytes), { driver: 'k8s-file', options: { 'max-file': '1', 'max-size': '-1' } });
  assert.throws(() => parseLogConfig('syslog', [], bytes), /invalid --log-driver "syslog"/);
  // More than one file is taken (docker compose files and daemon defaults ask for it); create warns.
  const three = parseLogConfig('json-file', ['max-size=2k', 'max-file=3'], bytes);
  assert.deepEqual(three, { driver: 'json-file', options: { 'max-size': '2k', 'max-file': '3' }, maxSize: 2048 });
  assert.match(logFileWarning(three) ?? '', /keeps one log file .* at most 2k of the newest output is kept, not max-file=3 files/);
  assert.equal(logFileWarning(parseLogConfig('json-file', ['max-size=1k'], bytes)), undefined);
  assert.match(logFileWarning(parseLogConfig('json-file', ['max-file=2'], bytes)) ?? '', /no effect without max-size/);
  assert.throws(() => parseLogConfig('json-file', ['max-file=0'], bytes), /max-file must be a positive integer/);
  assert.throws(() => parseLogConfig('json-file', ['max-file=x'], bytes), /max-file must be a positive integer/);
  assert.throws(() => parseLogConfig('json-file', ['foo=1'], bytes), /unknown log opt 'foo' for json-file log driver/);
  assert.throws(() => parseLogConfig('json-file', ['max-size'], bytes), /want KEY=VALUE/);
  assert.throws(() => parseLogConfig('none', ['max-size=1k'], bytes), /takes no options/);
});

test("docker's --expose and --device-cgroup-rule syntax", () => {
  assert.deepEqual(parseExpose('80'), ['80/tcp']);
  assert.deepEqual(parseExpose('53/udp'), ['53/udp']);
  assert.deepEqual(parseExpose('8000-8002'), ['8000/tcp', '8001/tcp', '8002/tcp']);
  for (const bad of ['0', '70000', '90-80', 'http', '80/icmp', '1-20000']) assert.throws(() => parseExpose(bad), /invalid --expose/, bad);
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 rwm'), { type: 'c', major: 1, minor: 3, access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('b *:* m'), { type: 'b', access: 'm' });
  assert.deepEqual(parseDeviceCgroupRule('a 7:* r'), { type: 'a', major: 7, access: 'r' });
  for (const bad of ['c 1:3', 'x 1:3 r', 'c 1 r', 'c 1:3 rr', 'c a:3 r']) assert.throws(() => parseDeviceCgroupRule(bad), /invalid --device-cgroup-rule/, bad);
});
