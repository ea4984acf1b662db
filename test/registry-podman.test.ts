// podman against berth's registry: push (Docker schema 2 and OCI formats) and pull back,
// with its own storage root, run root and registries.conf in temp.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { makeOciLayout, runIsolated, startRegistry, type TestRegistry } from './registry-helpers.js';

let dir: string;
let reg: TestRegistry;
let host: string;
let podman: (...args: string[]) => Promise<string>;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-reg-podman-'));
  const { rootfsTar } = await makeOciLayout(dir, 0);
  await fs.writeFile(path.join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  const env = { CONTAINERS_REGISTRIES_CONF: path.join(dir, 'registries.conf'), TMPDIR: dir };
  const base = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  podman = (...args: string[]) => runIsolated(dir, 'podman', [...base, ...args], env);
  await podman('import', rootfsTar, 'localhost/berth-podman:v1');
  reg = await startRegistry();
  host = reg.url.replace('http://', '');
});
after(async () => {
  await reg?.close();
  await podman?.('rmi', '-a', '-f').catch(() => {});
  await fs.rm(dir, { recursive: true, force: true });
});

test('podman push and pull round-trip (Docker schema 2 and OCI)', async () => {
  const id = (await podman('image', 'inspect', '--format', '{{.Id}}', 'localhost/berth-podman:v1')).trim();
  for (const format of ['v2s2', 'oci']) {
    const ref = `${host}/podman/busybox:${format}`;
    await podman('push', '--tls-verify=false', '--format', format, 'localhost/berth-podman:v1', ref);
    const mt = await fetch(`${reg.url}/v2/podman/busybox/manifests/${format}`, { method: 'HEAD' });
    assert.equal(mt.status, 200);
    assert.equal(mt.headers.get('content-type'), format === 'oci' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json');
    await podman('pull', '--tls-verify=false', ref);
    const pulled = (await podman('image', 'inspect', '--format', '{{.Id}}', ref)).trim();
    if (format === 'v2s2') assert.equal(pulled, id);
    await podman('rmi', ref);
  }
  const tags = (await (await fetch(`${reg.url}/v2/podman/busybox/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(tags.tags, ['oci', 'v2s2']);
});
