// skopeo against berth's registry: push and pull with byte-identical blobs, inspect,
// delete, and the token flow with credentials, as a real client does them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { htpasswdLine } from '../src/registry/server/htpasswd.js';
import { makeOciLayout, runIsolated, startRegistry, type TestRegistry } from './registry-helpers.js';

let dir: string;
let image: Awaited<ReturnType<typeof makeOciLayout>>;
let reg: TestRegistry;
let host: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-reg-skopeo-'));
  image = await makeOciLayout(dir, 2, 512 * 1024);
  reg = await startRegistry();
  host = reg.url.replace('http://', '');
});
after(async () => {
  await reg.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const skopeo = (...args: string[]) => runIsolated(dir, 'skopeo', ['--insecure-policy', ...args]);

async function blobsOf(layout: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const d = path.join(layout, 'blobs', 'sha256');
  for (const f of await fs.readdir(d)) out.set(`sha256:${f}`, await fs.readFile(path.join(d, f)));
  return out;
}

test('skopeo copy pushes and pulls back byte-identical blobs', async () => {
  await skopeo('copy', '--dest-tls-verify=false', `oci:${image.layout}:v1`, `docker://${host}/skopeo/busybox:v1`);
  const inspect = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${host}/skopeo/busybox:v1`)) as { Layers: string[] };
  assert.deepEqual(inspect.Layers, image.blobs.slice(1));
  const back = path.join(dir, 'back');
  await skopeo('copy', '--src-tls-verify=false', `docker://${host}/skopeo/busybox:v1`, `oci:${back}:v1`);
  const sent = await blobsOf(image.layout);
  const got = await blobsOf(back);
  assert.deepEqual([...got.keys()].sort(), [...sent.keys()].sort());
  for (const [d, b] of sent) assert.ok(got.get(d)!.equals(b), `blob ${d} differs`);
  // A second push to another repository mounts instead of uploading.
  await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/skopeo/busybox:v1`, `docker://${host}/skopeo/copy:v1`);
  const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${host}/skopeo/copy`)) as { Tags: string[] };
  assert.deepEqual(tags.Tags, ['v1']);
  await skopeo('delete', '--tls-verify=false', `docker://${host}/skopeo/copy:v1`);
  await assert.rejects(skopeo('inspect', '--tls-verify=false', `docker://${host}/skopeo/copy:v1`));
});

test('skopeo pushes and pulls through the token flow with credentials', async () => {
  const htpasswd = path.join(dir, 'htpasswd');
  await fs.writeFile(htpasswd, `${htpasswdLine('alice', 'secret', 4)}\n`);
  const authed = await startRegistry({
    auth: { htpasswd: { path: htpasswd }, token: { service: 'berth' }, access: [{ namespace: 'team', users: { alice: ['*'] } }] },
  });
  try {
    const h = authed.url.replace('http://', '');
    await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:secret', `oci:${image.layout}:v1`, `docker://${h}/team/busybox:v1`);
    await assert.rejects(skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wrong', `oci:${image.layout}:v1`, `docker://${h}/team/busybox:v2`));
    await assert.rejects(skopeo('inspect', '--tls-verify=false', `docker://${h}/team/busybox:v1`), 'no anonymous pull');
    const back = path.join(dir, 'back-authed');
    await skopeo('copy', '--src-tls-verify=false', '--src-creds', 'alice:secret', `docker://${h}/team/busybox:v1`, `oci:${back}:v1`);
    assert.equal((await blobsOf(back)).size, image.blobs.length + 1);
  } finally {
    await authed.close();
  }
});
