// Several berth processes on one store: two pulls of the same image at once, `images` while a
// pull runs, rmi during a pull, and a pull killed with SIGKILL mid-download: each leaves a store
// the next command uses, with nothing half-made in the image list.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage, hostileRegistry, type Sandbox, sandbox } from './images-helpers.js';

let box: Sandbox;

before(async () => {
  box = await sandbox('berth-images-conc-');
});
after(() => box?.done());

/** An image whose big layer the registry sends slowly (about 4 MB/s), so a pull takes a while. */
async function slowRegistry() {
  const image = buildImage([[{ name: 'etc/', type: 'directory' }, { name: 'etc/a', body: 'a' }], [{ name: 'big.bin', body: randomBytes(6 * 1024 * 1024) }], [{ name: 'c', body: 'c' }]]);
  const big = image.layerDigests[1];
  const reg = await hostileRegistry(image, (req, res, img) => {
    if (!req.url?.endsWith(big) || req.headers.range) return false;
    const blob = img.blobs.get(big)!;
    res.writeHead(200, { 'content-length': blob.length });
    let off = 0;
    const tick = () => {
      if (res.destroyed) return;
      const next = Math.min(blob.length, off + 64 * 1024);
      res.write(blob.subarray(off, next));
      off = next;
      if (off >= blob.length) res.end();
      else setTimeout(tick, 15);
    };
    tick();
    return true;
  });
  return { image, reg };
}

async function layerDirs(): Promise<string[]> {
  return (await fs.readdir(path.join(box.root, 'layers')).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n));
}

test('two pulls of the same image at once both succeed and store it once', async () => {
  const { reg } = await slowRegistry();
  try {
    const name = `${reg.host}/test/img:1`;
    const [a, b] = await Promise.all([box.berth(['pull', '-q', name]), box.berth(['pull', '-q', name])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const list = await box.berth(['images', '-q']);
    assert.equal(list.stdout.trim().split('\n').length, 1);
    assert.equal((await layerDirs()).length, 3);
  } finally {
    await reg.close();
    await box.berth(['rmi', '-a', '-f']);
  }
});

test('images during a pull never shows a half-made image; rmi of another image during a pull spares it', async () => {
  const { reg } = await slowRegistry();
  const other = buildImage([[{ name: 'x', body: 'x' }]]);
  const reg2 = await hostileRegistry(other);
  try {
    let r = await box.berth(['pull', '-q', `${reg2.host}/test/img:other`]);
    assert.equal(r.code, 0, r.stderr);
    const pull = box.berth(['pull', '-q', `${reg.host}/test/img:1`]);
    let done = false;
    void pull.then(() => {
      done = true;
    });
    const seen = new Set<string>();
    let removed = false;
    while (!done) {
      const list = await box.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.equal(list.code, 0, list.stderr);
      for (const l of list.stdout.trim().split('\n').filter(Boolean)) seen.add(l);
      if (!removed) {
        r = await box.berth(['rmi', `${reg2.host}/test/img:other`]);
        assert.equal(r.code, 0, r.stderr);
        removed = true;
      }
      await sleep(50);
    }
    assert.equal((await pull).code, 0, (await pull).stderr);
    assert.deepEqual([...seen].filter((n) => !n.includes('test/img:other') && n !== `${reg.host}/test/img:1`), []);
    r = await box.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(r.stdout, `${reg.host}/test/img:1\n`);
    assert.equal((await layerDirs()).length, 3);
  } finally {
    await reg.close();
    await reg2.close();
    await box.berth(['rmi', '-a', '-f']);
  }
});

test('a pull killed with SIGKILL mid-download leaves a store the next pull completes', async () => {
  const { image, reg } = await slowRegistry();
  try {
    const name = `${reg.host}/test/img:1`;
    const child = box.spawnBerth(['pull', '-q', name]);
    const exited = new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 200 && !reg.requests.some((q) => q.url.endsWith(image.layerDigests[1])); i++) await sleep(20);
    await sleep(300);
    child.kill('SIGKILL');
    await exited;
    assert.equal((await box.berth(['images', '-q'])).stdout, '', 'nothing visible after the kill');
    const r = await box.berth(['pull', '-q', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await box.berth(['images', '-q'])).stdout.trim().length, 12);
    const leftovers = (await fs.readdir(path.join(box.root, 'layers'))).filter((n) => n.startsWith('.'));
    assert.deepEqual(leftovers, [], 'no temp unpack left behind');
    assert.equal((await layerDirs()).length, 3);
  } finally {
    await reg.close();
  }
});
