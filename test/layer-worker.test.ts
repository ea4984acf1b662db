// Layers applied on the pool's threads (the store's default): the same tree, diffID and
// errors as applyLayer on the main thread, bounded threads, and a process that still exits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { corrupt } from '../src/internal/errors.js';
import { type AppliedLayer, applyLayer, applyLayerInWorker, LayerApplyPool } from '../src/layer/index.js';
import { type RawEntry, rawTar, snapshotTree } from './layer-fixtures.js';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layer-worker-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fresh = () => fs.mkdtempSync(path.join(tmp, 'target-'));

/** Bytes that do not compress, so the gzip stays several of the pool's 1 MiB chunks. */
function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function sampleLayer(): Buffer {
  const entries: RawEntry[] = [{ name: 'etc/', type: 'directory', mode: 0o755 }];
  for (let d = 0; d < 70; d++) {
    entries.push({ name: `d${d}/`, type: 'directory', mode: 0o750 });
    for (let f = 0; f < 20; f++) entries.push({ name: `d${d}/f${f}`, body: `file ${d}/${f} `.repeat(f + 1), mode: 0o640 });
  }
  entries.push({ name: 'etc/link', type: 'symlink', linkname: '../d1/f1' });
  entries.push({ name: 'big.bin', body: noise(5 << 20, 7), mode: 0o600 });
  entries.push({ name: 'd2/.wh.f3', body: '' });
  return gzipSync(rawTar(entries));
}

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

test('a layer applied on a thread gives the tree, size and diffID of applyLayer, in small chunks or one big one', async () => {
  const layer = sampleLayer();
  const here = fresh();
  const expected = await applyLayer(Readable.from([layer]), here, { mode: 'overlay-lower' });
  for (const source of [chunked(layer, 7000), Readable.from([layer])]) {
    const there = fresh();
    const got = await applyLayerInWorker(source, there, { mode: 'overlay-lower' });
    assert.deepEqual(got, expected);
    assert.deepEqual(snapshotTree(there, { mtimes: true }), snapshotTree(here, { mtimes: true }));
  }
});

test('a hostile entry fails on the thread with the kind and message applyLayer gives', async () => {
  const bad = rawTar([{ name: 'ok', body: 'x' }, { name: '../../escape', body: 'pwned' }]);
  const why = async (fn: typeof applyLayer) => {
    const target = fresh();
    const err = await fn(Readable.from([bad]), target, { mode: 'merge' }).then(
      () => assert.fail('applied a hostile layer'),
      (e: Error & { kind?: string }) => e,
    );
    return { kind: err.kind, message: err.message.replaceAll(target, 'TARGET') };
  };
  const local = await why(applyLayer);
  assert.equal(local.kind, 'invalid-argument');
  assert.deepEqual(await why(applyLayerInWorker), local);
});

test('a source that fails (a blob that does not verify) fails the apply with its kind and message', async () => {
  const layer = sampleLayer();
  const source = Readable.from(
    (async function* () {
      yield layer.subarray(0, 3 << 20);
      throw corrupt('blob sha256:abc is truncated: got 3 of 5 bytes');
    })(),
  );
  const target = fresh();
  await assert.rejects(applyLayerInWorker(source, target, { mode: 'overlay-lower' }), (e: Error & { kind?: string }) => {
    assert.equal(e.kind, 'corrupt');
    assert.match(e.message, /^cannot apply layer to .*blob sha256:abc is truncated: got 3 of 5 bytes$/);
    return true;
  });
  assert.ok(source.destroyed);
  // The call settles once the thread let go: the target can go at once, and stays gone.
  fs.rmSync(target, { recursive: true, force: true });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fs.existsSync(target), false);
});

test('an abort through the signal ends the apply with kind aborted', async () => {
  const controller = new AbortController();
  const layer = sampleLayer();
  const source = Readable.from(
    (async function* () {
      yield layer.subarray(0, 1 << 20);
      controller.abort();
      await new Promise((r) => setTimeout(r, 50));
      yield layer.subarray(1 << 20);
    })(),
  );
  await assert.rejects(applyLayerInWorker(source, fresh(), { mode: 'overlay-lower', signal: controller.signal }), { kind: 'aborted' });
  await assert.rejects(applyLayerInWorker(Readable.from([layer]), fresh(), { mode: 'overlay-lower', signal: controller.signal }), {
    kind: 'aborted',
  });
});

test('a pool of one thread takes layers one after another', async () => {
  const pool = new LayerApplyPool({ size: 1 });
  const layers = [0, 1, 2].map((i) => gzipSync(rawTar([{ name: `only-${i}`, body: noise(300_000, i) }])));
  const expected: AppliedLayer[] = [];
  for (const l of layers) expected.push(await applyLayer(Readable.from([l]), fresh(), { mode: 'overlay-lower' }));
  const got = await Promise.all(layers.map((l) => pool.apply(Readable.from([l]), fresh(), { mode: 'overlay-lower' })));
  assert.deepEqual(got, expected);
});

test('a process that applied layers on threads exits by itself, with no fd warning', () => {
  const layerFile = path.join(tmp, 'layer.tar.gz');
  fs.writeFileSync(layerFile, sampleLayer());
  const index = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'layer', 'index.js');
  const script = `
    import * as fs from 'node:fs';
    const { applyLayerInWorker } = await import(${JSON.stringify(index)});
    const targets = [0, 1, 2].map(() => fs.mkdtempSync(${JSON.stringify(path.join(tmp, 'child-'))}));
    const done = await Promise.all(targets.map((t) => applyLayerInWorker(fs.createReadStream(${JSON.stringify(layerFile)}), t, { mode: 'overlay-lower' })));
    console.log(done.map((d) => d.diffID).join(' '));
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.signal, null, 'the child was killed at the timeout: a thread kept it alive');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stderr, '', 'no warnings');
  assert.equal(new Set(child.stdout.trim().split(' ')).size, 1);
  assert.ok(Date.now() - started < 20_000);
});
