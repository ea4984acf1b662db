// docker (dockerd 20.10 started by this test, with its own data root and socket) against
// berth's registry: push and pull, anonymously and through `docker login` with tokens.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { htpasswdLine } from '../src/registry/server/htpasswd.js';
import { makeOciLayout, run, startRegistry, type TestRegistry } from './registry-helpers.js';

let dir: string;
let dockerd: ChildProcess | undefined;
let sock: string;
let rootfsTar: string;
let reg: TestRegistry;
let authed: TestRegistry;

const docker = (...args: string[]) => run('/usr/bin/docker', ['-H', `unix://${sock}`, ...args], { DOCKER_CONFIG: path.join(dir, 'client') });

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-reg-docker-'));
  ({ rootfsTar } = await makeOciLayout(dir, 0));
  reg = await startRegistry();
  const htpasswd = path.join(dir, 'htpasswd');
  await fs.writeFile(htpasswd, `${htpasswdLine('alice', 'secret', 4)}\n`);
  authed = await startRegistry({ auth: { htpasswd: { path: htpasswd }, token: { service: 'berth' }, access: [{ namespace: 'team', users: { alice: ['*'] } }] } });
  sock = path.join(dir, 'docker.sock');
  const log = await fs.open(path.join(dir, 'dockerd.log'), 'w');
  dockerd = spawn(
    '/usr/sbin/dockerd',
    [
      '--data-root', path.join(dir, 'data'),
      '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'dockerd.pid'),
      '-H', `unix://${sock}`,
      '--iptables=false', '--ip6tables=false', '--bridge=none', '--ip-masq=false',
      '--storage-driver', 'vfs',
      '--insecure-registry', reg.url.replace('http://', ''),
      '--insecure-registry', authed.url.replace('http://', ''),
    ],
    { stdio: ['ignore', log.fd, log.fd] },
  );
  await log.close();
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await docker('version', '--format', '{{.Server.Version}}');
      break;
    } catch (e) {
      if (Date.now() > deadline || dockerd.exitCode !== null) {
        throw new Error(`dockerd did not start: ${(e as Error).message}\n${await fs.readFile(path.join(dir, 'dockerd.log'), 'utf8').catch(() => '')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
});

after(async () => {
  if (dockerd && dockerd.exitCode === null) {
    const exited = new Promise((r) => dockerd!.once('exit', r));
    dockerd.kill('SIGTERM');
    const t = setTimeout(() => dockerd!.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
  await reg?.close();
  await authed?.close();
  // vfs layers hold nothing mounted; the whole tree goes.
  await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
});

test('docker push and pull round-trip', async () => {
  const host = reg.url.replace('http://', '');
  const ref = `${host}/docker/busybox:v1`;
  await docker('import', rootfsTar, ref);
  const id = (await docker('image', 'inspect', '--format', '{{.Id}}', ref)).trim();
  await docker('push', ref);
  const head = await fetch(`${reg.url}/v2/docker/busybox/manifests/v1`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(head.status, 200);
  await docker('rmi', ref);
  await docker('pull', ref);
  assert.equal((await docker('image', 'inspect', '--format', '{{.Id}}', ref)).trim(), id);
  await docker('rmi', ref);
});

test('docker login, push and pull through the token flow', async () => {
  const host = authed.url.replace('http://', '');
  await assert.rejects(docker('login', '-u', 'alice', '-p', 'wrong', host));
  await docker('login', '-u', 'alice', '-p', 'secret', host);
  const ref = `${host}/team/busybox:v1`;
  await docker('import', rootfsTar, ref);
  await docker('push', ref);
  await docker('rmi', ref);
  await docker('pull', ref);
  await docker('logout', host);
  await docker('rmi', ref);
  await assert.rejects(docker('pull', ref), 'no anonymous pull from team/');
});
