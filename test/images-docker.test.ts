// berth and docker (dockerd 20.10 with its own data root, exec root and socket): `berth save |
// docker load`, `docker save | berth load`, docker push -> berth pull, berth push -> docker run.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Distribution, run, startDistribution } from './client-helpers.js';
import { type Sandbox, sandbox, treeListing } from './images-helpers.js';

let box: Sandbox;
let reg: Distribution;
let host: string;
let dockerd: ChildProcess;
let sock: string;
let rootfs: string;

function docker(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/docker', ['-H', `unix://${sock}`, ...args], { encoding: 'buffer', maxBuffer: 1 << 28, env: { ...process.env, DOCKER_CONFIG: path.join(box.dir, 'docker-config') } }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker ${args.join(' ')}: ${stderr.toString()}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

before(async () => {
  box = await sandbox('berth-images-docker-');
  reg = await startDistribution(path.join(box.dir, 'registry'));
  host = `127.0.0.1:${reg.port}`;
  const d = path.join(box.dir, 'dockerd');
  await fs.mkdir(d, { recursive: true });
  sock = path.join(d, 'docker.sock');
  dockerd = spawn(
    '/usr/sbin/dockerd',
    ['--data-root', path.join(d, 'data'), '--exec-root', path.join(d, 'exec'), '-H', `unix://${sock}`, '--pidfile', path.join(d, 'docker.pid'), '--iptables=false', '--bridge=none', '--storage-driver', 'overlay2'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (await docker(['version']).then(() => true, () => false)) break;
    await sleep(200);
  }
  rootfs = path.join(box.dir, 'rootfs');
  await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
  await fs.symlink('busybox', path.join(rootfs, 'bin', 'sh'));
  await fs.writeFile(path.join(rootfs, 'greeting'), 'hello from docker\n');
  await run('tar', ['-C', rootfs, '-cf', path.join(box.dir, 'rootfs.tar'), '.']);
  await docker(['import', path.join(box.dir, 'rootfs.tar'), 'dk/base:1']);
});

after(async () => {
  if (dockerd?.pid) {
    dockerd.kill('SIGTERM');
    await new Promise((r) => (dockerd.exitCode !== null ? r(undefined) : dockerd.once('exit', r)));
  }
  await reg?.stop();
  await box?.done();
});

test('docker save | berth load keeps the image ID', async () => {
  const tar = await docker(['save', 'dk/base:1']);
  const r = await box.berth(['load'], { input: tar });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: dk/base:1\n');
  const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', 'dk/base:1'])).toString().trim();
  assert.equal(JSON.parse((await box.berth(['image', 'inspect', 'dk/base:1'])).stdout)[0].Id, id);
  // The size as docker counts it under overlay2, its default driver (a walk of the layer's dir:
  // files' bytes and symlinks' targets, a hard link once), not the tar's bytes.
  const size = (await docker(['image', 'inspect', '--format', '{{.Size}}', 'dk/base:1'])).toString().trim();
  assert.equal((await box.berth(['image', 'inspect', '--format', '{{.Size}}', 'dk/base:1'])).stdout.trim(), size);
  assert.equal((await box.berth(['images', '--format', '{{.Size}}', 'dk/base:1'])).stdout, (await docker(['images', '--format', '{{.Size}}', 'dk/base:1'])).toString());
});

test('berth save | docker load, and docker runs it', async () => {
  let r = await box.berth(['tag', 'dk/base:1', 'from/berth:2']);
  assert.equal(r.code, 0, r.stderr);
  const saved = await new Promise<Buffer>((resolve, reject) => {
    const main = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'src', 'cli', 'main.js');
    execFile(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`, '--', 'save', 'from/berth:2'], { env: box.env, encoding: 'buffer', maxBuffer: 1 << 28 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  const out = (await docker(['load'], saved)).toString();
  assert.match(out, /Loaded image: from\/berth:2/);
  r = await box.berth(['image', 'inspect', '--format', '{{.Id}}', 'from/berth:2']);
  assert.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', 'from/berth:2'])).toString().trim(), r.stdout.trim());
  assert.equal((await docker(['run', '--rm', '--network', 'none', 'from/berth:2', '/bin/sh', '-c', 'cat /greeting'])).toString(), 'hello from docker\n');
});

test('an image pushed by docker is pulled by berth with the same files; one pushed by berth runs in docker', async () => {
  // dk/base:1 came from `docker save`: plain tar layers, which a push gzips as docker does.
  let loaded = await box.berth(['push', 'dk/base:1', `${host}/berth/loaded:1`]);
  assert.equal(loaded.code, 0, loaded.stderr);
  const res = await fetch(`http://${host}/v2/berth/loaded/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  const m = (await res.json()) as { layers: { mediaType: string }[] };
  assert.deepEqual(m.layers.map((l) => l.mediaType), ['application/vnd.docker.image.rootfs.diff.tar.gzip']);
  assert.equal((await docker(['run', '--rm', '--network', 'none', `${host}/berth/loaded:1`, '/bin/busybox', 'cat', '/greeting'])).toString(), 'hello from docker\n');
  loaded = await box.berth(['push', 'dk/base:1', `${host}/berth/loaded:1`]);
  assert.match(loaded.stdout, /Layer already exists/);
  await docker(['tag', 'dk/base:1', `${host}/dk/base:1`]);
  await docker(['push', `${host}/dk/base:1`]);
  let r = await box.berth(['rmi', '-a', '-f']);
  r = await box.berth(['pull', '-q', `${host}/dk/base:1`]);
  assert.equal(r.code, 0, r.stderr);
  const [doc] = JSON.parse((await box.berth(['image', 'inspect', `${host}/dk/base:1`])).stdout);
  const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', 'dk/base:1'])).toString().trim();
  assert.equal(doc.Id, id);
  const diff = path.join(box.root, 'layers', doc.RootFS.Layers[0].slice(7), 'diff');
  assert.deepEqual(await treeListing(diff), await treeListing(rootfs));
  r = await box.berth(['push', `${host}/dk/base:1`, `${host}/berth/pushed:1`]);
  assert.equal(r.code, 0, r.stderr);
  await docker(['pull', `${host}/berth/pushed:1`]);
  assert.equal((await docker(['run', '--rm', '--network', 'none', `${host}/berth/pushed:1`, '/bin/busybox', 'cat', '/greeting'])).toString(), 'hello from docker\n');
});
