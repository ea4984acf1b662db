// The graph drivers over layers the store unpacked with src/layer (overlay-lower mode):
// tar whiteouts hide what is below, and a snapshot's diff becomes a layer again (commit).
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { openGraphDriver } from '../src/graphdriver/index.js';
import { createLayerFromOverlayUpper, diffDirectories, type LayerBlob } from '../src/layer/index.js';
import { chainID } from '../src/store/index.js';
import { putImage, tempStore } from './store-fixtures.js';

const LOWER = [
  { name: 'gone', body: 'x' },
  { name: 'dir', type: 'directory' as const },
  { name: 'dir/old', body: 'o' },
  { name: 'kept', body: 'k' },
];
const UPPER = [
  { name: '.wh.gone', body: '' },
  { name: 'dir', type: 'directory' as const },
  { name: 'dir/.wh..wh..opq', body: '' },
  { name: 'dir/new', body: 'n' },
];

for (const driverName of ['overlay', 'vfs']) {
  test(`${driverName}: tar whiteouts unpacked by the store hide lower files; a diff commits back to a layer`, async () => {
    const t = await tempStore();
    const driver = await openGraphDriver({ root: t.options.root, runroot: t.options.runroot, driver: driverName });
    const target = path.join(t.dir, 'mnt');
    try {
      await putImage(t.store, 'docker.io/library/wh', 'latest', [LOWER, UPPER]);
      const rec = await t.store.resolveImage('wh');
      const parents = rec.layers.map((l) => l.chainID);
      await driver.mount(await driver.prepare('ctr', parents), target);
      try {
        assert.deepEqual((await fs.readdir(target)).sort(), ['dir', 'kept']);
        assert.deepEqual(await fs.readdir(path.join(target, 'dir')), ['new']);
        await fs.writeFile(path.join(target, 'added'), 'a');
        await fs.rm(path.join(target, 'kept'));
      } finally {
        await driver.unmount(target);
      }

      // Commit: the snapshot's changes as a layer tar, unpacked into the store on top.
      const source = await driver.diff('ctr');
      let blob: LayerBlob;
      if (source.kind === 'overlay-upper') blob = createLayerFromOverlayUpper(source.upper, source.lowers, { compression: 'none' });
      else blob = diffDirectories(source.base, source.changed, { compression: 'none' });
      const stored = await t.store.content.ingest('commit-ctr', blob.stream);
      const digests = await blob.done;
      if (source.kind === 'directory') await source.release();
      assert.equal(stored.digest, digests.diffID);
      const top = rec.topLayer!;
      const layer = await t.store.withLease((lease) =>
        t.store.layers.unpack(lease, { diffID: digests.diffID, parent: top, open: () => t.store.content.reader(stored.digest) }),
      );
      assert.equal(layer.chainID, chainID(top, digests.diffID));
      await driver.mount(await driver.prepare('next', [...parents, layer.chainID], { readonly: true }), target);
      try {
        assert.deepEqual((await fs.readdir(target)).sort(), ['added', 'dir']);
        assert.equal(await fs.readFile(path.join(target, 'added'), 'utf8'), 'a');
      } finally {
        await driver.unmount(target);
      }
    } finally {
      await driver.unmount(target, { detach: true }).catch(() => {});
      await t.done();
    }
  });
}
