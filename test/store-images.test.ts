// The store end to end in one process: images written through its sink (real gzip layers,
// real unpacking by src/layer), names, resolution, rmi and the collection of unused layers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { digestHex } from '../src/digest/digest.js';
import { copyImage, hostPlatform, MemoryImageStore } from '../src/image/index.js';
import { openStore } from '../src/store/index.js';
import { multiArchIndex, putImage, tempStore } from './store-fixtures.js';

const BASE = [{ name: 'etc', type: 'directory' as const }, { name: 'etc/os-release', body: 'ID=test\n' }];
const APP = [{ name: 'app', body: '#!/bin/sh\necho hi\n', mode: 0o755 }];

test('an image written through the sink is recorded, unpacked once per chain and resolvable every way', async () => {
  const t = await tempStore();
  try {
    const written = await putImage(t.store, 'docker.io/library/demo', 'v1', [BASE, APP]);
    const [rec] = await t.store.listImages();
    assert.equal(rec.id, written.config.digest);
    assert.deepEqual(rec.names, ['docker.io/library/demo:v1']);
    assert.deepEqual(rec.digests, [`docker.io/library/demo@${written.descriptor.digest}`]);
    assert.equal(rec.layers.length, 2);
    assert.equal(rec.layers[0].chainID, written.diffIDs[0]);
    assert.equal(rec.topLayer, rec.layers[1].chainID);
    assert.equal(rec.platform?.architecture, 'amd64');
    assert.ok(rec.size > 0);
    const top = t.store.layers.diffPath(rec.layers[1].chainID);
    assert.equal(await fs.readFile(path.join(top, 'app'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal((await fs.stat(path.join(top, 'app'))).mode & 0o777, 0o755);
    assert.equal(await fs.readFile(path.join(t.store.layers.diffPath(rec.layers[0].chainID), 'etc', 'os-release'), 'utf8'), 'ID=test\n');
    const layerRec = await t.store.layers.get(rec.layers[1].chainID);
    assert.equal(layerRec?.parent, rec.layers[0].chainID);
    assert.deepEqual(layerRec?.compressed.map((c) => c.digest), [written.layers[1].digest]);

    for (const q of ['demo:v1', 'docker.io/library/demo:v1', rec.id, digestHex(rec.id), digestHex(rec.id).slice(0, 12), rec.id.slice(0, 20), `demo@${written.descriptor.digest}`]) {
      assert.equal((await t.store.resolveImage(q)).id, rec.id, q);
    }
    await assert.rejects(t.store.resolveImage('demo'), (e: { kind?: string; message: string }) => e.kind === 'not-found' && /No such image: demo/.test(e.message));
    await assert.rejects(t.store.resolveImage(''), (e: { kind?: string }) => e.kind === 'invalid-argument');

    // Writing the same image again reuses everything; the directory count does not move.
    await putImage(t.store, 'docker.io/library/demo', 'v1', [BASE, APP]);
    assert.equal((await t.store.listImages()).length, 1);
    assert.equal((await fs.readdir(t.store.layout.layersDir)).length, 2);
  } finally {
    await t.done();
  }
});

test('tag moves names, rmi of one of several names only untags, rmi frees layers no other image uses', async () => {
  const t = await tempStore();
  try {
    const a = await putImage(t.store, 'docker.io/library/a', 'latest', [BASE, APP]);
    const b = await putImage(t.store, 'docker.io/library/b', 'latest', [BASE]);
    await t.store.tag('a', 'docker.io/library/a:extra');
    assert.deepEqual((await t.store.resolveImage('a:extra')).names.sort(), ['docker.io/library/a:extra', 'docker.io/library/a:latest']);
    // A name given to another image leaves the first one.
    await t.store.tag('b', 'docker.io/library/a:extra');
    assert.equal((await t.store.resolveImage('a:extra')).id, b.config.digest);
    const untag = await t.store.removeImage('a:extra');
    assert.deepEqual(untag.untagged, ['docker.io/library/a:extra']);
    assert.deepEqual(untag.deleted, []);

    const baseChain = (await t.store.resolveImage('b')).layers[0].chainID;
    const gone = await t.store.removeImage('a');
    assert.deepEqual(gone.deleted, [a.config.digest]);
    // The base layer is still b's; only a's top layer and a's own blobs go.
    assert.equal(gone.pruned.layers.length, 1);
    assert.ok(await t.store.layers.get(baseChain));
    assert.ok(gone.pruned.blobs.includes(a.descriptor.digest));
    assert.ok(gone.pruned.blobs.includes(a.layers[1].digest));
    assert.ok(!gone.pruned.blobs.includes(a.layers[0].digest), 'the shared base blob stays');
    await t.store.removeImage(b.config.digest);
    assert.deepEqual(await t.store.listImages(), []);
    assert.deepEqual((await fs.readdir(t.store.layout.layersDir)).filter((n) => !n.startsWith('.')), []);
    const left: string[] = [];
    for await (const i of t.store.content.walk()) left.push(i.digest);
    assert.deepEqual(left, []);
    await assert.rejects(t.store.removeImage('a'), (e: { kind?: string }) => e.kind === 'not-found');
    await assert.rejects(t.store.untag('docker.io/library/zzz:1'), (e: { kind?: string }) => e.kind === 'not-found');
  } finally {
    await t.done();
  }
});

test('holds: rmi refuses an image a container uses, and prune spares held layers even after a forced rmi', async () => {
  const t = await tempStore();
  try {
    const w = await putImage(t.store, 'docker.io/library/held', 'latest', [BASE, APP]);
    const rec = await t.store.resolveImage('held');
    await t.store.hold('container:abc', { images: [rec.id], layers: rec.layers.map((l) => l.chainID) });
    await assert.rejects(t.store.removeImage('held'), (e: { kind?: string; message: string }) => e.kind === 'failed-precondition' && /unable to remove repository reference "held" \(must force\) - container:abc is using its referenced image/.test(e.message));
    const forced = await t.store.removeImage('held', { force: true });
    assert.deepEqual(forced.deleted, [w.config.digest]);
    assert.deepEqual(forced.pruned.layers, []);
    assert.equal((await t.store.layers.list()).length, 2);
    await t.store.release('container:abc');
    const pruned = await t.store.prune();
    assert.equal(pruned.layers.length, 2);
  } finally {
    await t.done();
  }
});

test('holds until reboot live in the run root: rmi refuses all the same, and a holder is in one file only', async () => {
  const t = await tempStore();
  try {
    await putImage(t.store, 'docker.io/library/brief', 'latest', [BASE]);
    const rec = await t.store.resolveImage('brief');
    const refs = { images: [rec.id], layers: rec.layers.map((l) => l.chainID) };
    const read = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8').catch(() => '{"holds":[]}')).holds.map((h: { holder: string }) => h.holder);
    const [durable, boot] = [path.join(t.options.root, 'holds.json'), path.join(t.options.runroot, 'holds.json')];
    await t.store.hold('container-rm', refs, { untilReboot: true });
    assert.deepEqual(await read(boot), ['container-rm']);
    assert.deepEqual(await read(durable), []);
    assert.deepEqual((await t.store.holds()).map((h) => h.holder), ['container-rm']);
    await assert.rejects(t.store.removeImage('brief'), (e: { message: string }) => /container-rm is using its referenced image/.test(e.message));
    // Held again durably, it moves to the graph root's file.
    await t.store.hold('container-rm', refs);
    assert.deepEqual([await read(durable), await read(boot)], [['container-rm'], []]);
    await t.store.hold('container-rm', refs, { untilReboot: true });
    assert.deepEqual([await read(durable), await read(boot)], [[], ['container-rm']]);
    await t.store.release('container-rm');
    assert.deepEqual(await t.store.holds(), []);
    await t.store.removeImage('brief');
  } finally {
    await t.done();
  }
});

test('a stored image is a lazy handle again: copying it out gives the same manifest', async () => {
  const t = await tempStore();
  try {
    const w = await putImage(t.store, 'docker.io/library/rt', 'latest', [BASE, APP]);
    const handle = await t.store.imageHandle('rt');
    const mem = new MemoryImageStore();
    const result = await copyImage(handle, mem, { tag: 'copy' });
    assert.equal(result.descriptor.digest, w.descriptor.digest);
    assert.ok(mem.blobs.has(w.layers[1].digest));
  } finally {
    await t.done();
  }
});

test('a layer whose content does not hash to its diffID is refused and leaves no layer dir', async () => {
  const t = await tempStore();
  try {
    const w = await putImage(t.store, 'docker.io/library/ok', 'latest', [APP]);
    const lease = await t.store.lease();
    try {
      await assert.rejects(
        t.store.layers.unpack(lease, {
          diffID: `sha256:${'0'.repeat(64)}` as never,
          open: () => t.store.content.reader(w.layers[0].digest),
        }),
        (e: { kind?: string; message: string }) => e.kind === 'corrupt' && /hashes to/.test(e.message),
      );
    } finally {
      await lease.release();
    }
    assert.deepEqual((await fs.readdir(t.store.layout.layersDir)).sort(), [digestHex(w.diffIDs[0])]);
    // Reopening finds nothing to clean and the image intact.
    const again = await openStore(t.options);
    assert.equal((await again.resolveImage('ok')).id, w.config.digest);
  } finally {
    await t.done();
  }
});

test('a multi-arch index copied in: one image per platform, the tag and index digest on the host one', async () => {
  const t = await tempStore();
  try {
    const { mem, indexDesc } = await multiArchIndex();
    const handle = await mem.open('multi');

    // Only the host's platform, as docker pull does.
    await t.store.withLease((lease) => copyImage(handle, t.store.sink(lease, { repository: 'docker.io/library/multi' }), { tag: 'one', platform: hostPlatform() }));
    assert.equal((await t.store.listImages()).length, 1);

    await t.store.withLease((lease) => copyImage(handle, t.store.sink(lease, { repository: 'docker.io/library/multi' }), { tag: 'all', platform: 'all' }));
    const images = await t.store.listImages();
    assert.equal(images.length, 2);
    const host = images.find((i) => i.platform?.architecture === hostPlatform().architecture)!;
    assert.ok(host.names.includes('docker.io/library/multi:all'));
    assert.ok(host.digests.includes(`docker.io/library/multi@${indexDesc.digest}`));
    for (const i of images) assert.equal(i.index?.digest, indexDesc.digest);
    assert.equal((await t.store.resolveImage(`multi@${indexDesc.digest}`)).id, host.id);
  } finally {
    await t.done();
  }
});
