// `berth registry gc`: mark and sweep never removes a blob a manifest still references,
// spares uploads in progress and recent pushes, and reports what it freed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { FilesystemDriver } from '../src/registry/driver/filesystem.js';
import { collectGarbage } from '../src/registry/server/gc.js';
import { bytes, makeImage, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, sha256, startRegistry } from './registry-helpers.js';

test('gc sweeps unreferenced blobs only, across repositories, and keeps uploads in progress', async () => {
  const reg = await startRegistry({ storage: { linkCache: 0, durable: false } });
  try {
    const shared = makeImage(2);
    assert.equal((await pushImage(reg.url, 'gc/one', 'v1', shared)).status, 201);
    assert.equal((await pushImage(reg.url, 'gc/two', 'v1', shared)).status, 201);
    const orphan = await pushBlob(reg.url, 'gc/one', 'nobody references me');
    const post = await fetch(`${reg.url}/v2/gc/one/blobs/uploads/`, { method: 'POST' });
    const loc = post.headers.get('location')!;
    await (await fetch(`${reg.url}${loc}`, { method: 'PATCH', body: 'in progress' })).arrayBuffer();
    // Deleting the manifest in one repository leaves the other's references intact.
    assert.equal((await fetch(`${reg.url}/v2/gc/one/manifests/${shared.digest}`, { method: 'DELETE' })).status, 202);

    const driver = new FilesystemDriver(reg.root);
    const dry = await collectGarbage(driver, { dryRun: true, graceMs: 0 });
    assert.deepEqual(dry.blobs.map((b) => b.digest), [orphan]);
    assert.equal((await fetch(`${reg.url}/v2/gc/one/blobs/${orphan}`, { method: 'HEAD' })).status, 200, 'dry run removes nothing');

    const report = await collectGarbage(driver, { graceMs: 0 });
    assert.deepEqual(report.blobs, [{ digest: orphan, size: 'nobody references me'.length }]);
    assert.equal(report.bytesFreed, 'nobody references me'.length);
    assert.deepEqual(report.uploads, []);
    assert.equal((await fetch(`${reg.url}/v2/gc/one/blobs/${orphan}`, { method: 'HEAD' })).status, 404);
    for (const blob of [shared.config, ...shared.layers]) {
      assert.equal((await fetch(`${reg.url}/v2/gc/two/blobs/${sha256(blob)}`)).status, 200);
    }
    assert.equal((await fetch(`${reg.url}/v2/gc/two/manifests/v1`)).status, 200);
    assert.equal((await fetch(`${reg.url}${loc}`)).status, 204, 'the upload in progress survives');
  } finally {
    await reg.close();
  }
});

test('gc keeps young unreferenced blobs (a push in flight) by default', async () => {
  const reg = await startRegistry({ storage: { linkCache: 0, durable: false } });
  try {
    const d = await pushBlob(reg.url, 'gc/flight', 'layer uploaded, manifest not yet');
    const report = await collectGarbage(new FilesystemDriver(reg.root));
    assert.deepEqual(report.blobs, []);
    assert.equal((await fetch(`${reg.url}/v2/gc/flight/blobs/${d}`, { method: 'HEAD' })).status, 200);
  } finally {
    await reg.close();
  }
});

test('gc --delete-untagged removes manifests no tag reaches, keeping index children and referrers', async () => {
  const reg = await startRegistry({ storage: { linkCache: 0, durable: false } });
  try {
    const child = makeImage(1);
    const untagged = makeImage(1);
    await pushImage(reg.url, 'gc/u', child.digest, child);
    await pushImage(reg.url, 'gc/u', untagged.digest, untagged);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length }] }));
    assert.equal((await fetch(`${reg.url}/v2/gc/u/manifests/latest`, { method: 'PUT', body: bytes(index), headers: { 'Content-Type': OCI_INDEX } })).status, 201);
    const empty = await pushBlob(reg.url, 'gc/u', '{}');
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sig',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }],
        subject: { mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length },
      }),
    );
    assert.equal((await fetch(`${reg.url}/v2/gc/u/manifests/${sha256(sig)}`, { method: 'PUT', body: bytes(sig), headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);

    const report = await collectGarbage(new FilesystemDriver(reg.root), { deleteUntagged: true, graceMs: 0 });
    assert.deepEqual(report.manifests, [{ name: 'gc/u', digest: untagged.digest }]);
    assert.deepEqual(report.blobs.map((b) => b.digest).sort(), [untagged.digest, sha256(untagged.config), sha256(untagged.layers[0])].sort());
    assert.equal((await fetch(`${reg.url}/v2/gc/u/manifests/${child.digest}`)).status, 200);
    assert.equal((await fetch(`${reg.url}/v2/gc/u/manifests/${sha256(sig)}`)).status, 200);
    assert.equal((await fetch(`${reg.url}/v2/gc/u/blobs/${sha256(child.layers[0])}`)).status, 200);
    assert.equal((await fetch(`${reg.url}/v2/gc/u/manifests/${untagged.digest}`)).status, 404);
  } finally {
    await reg.close();
  }
});

test('berth registry gc prints what it removed and the space freed', async () => {
  const reg = await startRegistry({ storage: { linkCache: 0, durable: false } });
  try {
    await pushBlob(reg.url, 'gc/cli', 'orphan for the cli');
    await reg.server.stop();
    // Age the blob past the grace period as an old orphan would be.
    const old = new Date(Date.now() - 3600_000);
    for (const dir of [path.join(reg.root, 'v2', 'blobs'), path.join(reg.root, 'v2', 'repositories')]) {
      for (const f of await fs.readdir(dir, { recursive: true })) await fs.utimes(path.join(dir, f), old, old);
    }
    const out: string[] = [];
    const ctx = { root: reg.root, runroot: reg.root, logLevel: 'warn', out: (s: string) => void out.push(s), err: (s: string) => void process.stderr.write(s) } as never;
    const { run } = await import('../src/cli/registry.js');
    assert.equal(await run(['gc', '--root', reg.root, '--dry-run'], ctx), 0);
    assert.match(out.join(''), /would remove blob sha256:[0-9a-f]{64} \(18 bytes\)/);
    out.length = 0;
    assert.equal(await run(['gc', '--root', reg.root], ctx), 0);
    assert.match(out.join(''), /removed blob sha256:[0-9a-f]{64} \(18 bytes\)\nremoved: 0 manifests, 1 blobs, 0 uploads; 18 bytes freed/);
  } finally {
    await reg.close();
  }
});
