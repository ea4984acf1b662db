// Several real berth processes on one store: two pulls of one image (one unpacks, the other
// reuses), listings during a pull, an rmi during a pull that shares its layers, and crashes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Digest, digestOf } from '../src/digest/digest.js';
import { openStore } from '../src/store/index.js';
import { putImage, seeded, tarOf, tempStore } from './store-fixtures.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store-child.js');

interface Child {
  proc: ChildProcess;
  events: Record<string, unknown>[];
  /** Resolves with the first event named `name`. */
  waitFor(name: string): Promise<Record<string, unknown>>;
  /** Resolves with the exit code; rejects with stderr when it is not 0. */
  done(): Promise<void>;
}

function child(root: string, runroot: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [CHILD, root, runroot, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const waiters: { name: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const e = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      events.push(e);
      for (const w of waiters.filter((x) => x.name === e.event)) w.resolve(e);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    events,
    waitFor: (name) => {
      const seen = events.find((e) => e.event === name);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ name, resolve });
        exited.then(() => setTimeout(() => reject(new Error(`child exited before "${name}": ${stderr}`)), 50));
      });
    },
    done: async () => {
      const code = await exited;
      if (code !== 0) throw new Error(`child ${args.join(' ')} exited ${code}: ${stderr}`);
    },
  };
}

test('two processes pull the same image at once: each layer is unpacked exactly once, both succeed', async () => {
  const t = await tempStore();
  try {
    const args = ['pull', 'docker.io/library/same', 'latest', 'same', '4'];
    const a = child(t.options.root, t.options.runroot, args);
    const b = child(t.options.root, t.options.runroot, args);
    const lister = child(t.options.root, t.options.runroot, ['list', '300']);
    await Promise.all([a.done(), b.done(), lister.done()]);
    const applies = [...a.events, ...b.events].filter((e) => e.event === 'apply').length;
    assert.equal(applies, 4, 'four layers, four unpacks in total');
    const ids = [...a.events, ...b.events].filter((e) => e.event === 'pulled').map((e) => e.id);
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1]);
    const store = await openStore(t.options);
    const images = await store.listImages();
    assert.equal(images.length, 1);
    assert.deepEqual(images[0].names, ['docker.io/library/same:latest']);
    assert.deepEqual((await fs.readdir(store.layout.layersDir)).filter((n) => n.startsWith('.')), [], 'no temp dirs left');
    assert.equal((await store.layers.list()).length, 4);
    assert.deepEqual(await fs.readdir(store.layout.ingestDir), []);
    assert.deepEqual(await fs.readdir(store.layout.leasesDir), [], 'leases end with their pulls');
    const listed = lister.events.find((e) => e.event === 'listed');
    assert.equal(listed?.rounds, 300, 'every listing during the pulls parsed');
  } finally {
    await t.done();
  }
});

test('an rmi during a pull never frees the layers the pull is about to reference', async () => {
  const t = await tempStore();
  try {
    // The image the user removes shares two layers with the one being pulled.
    const store = t.store;
    const layer = (i: number) => [{ name: `layer${i}.bin`, body: seeded(`shared-${i}`, 1 << 20) }];
    const old = await putImage(store, 'docker.io/library/old', 'latest', [layer(0), layer(1)]);
    const pull = child(t.options.root, t.options.runroot, ['pull', 'docker.io/library/new', 'latest', 'shared', '3'], { SLOW_APPLY_MS: '1500' });
    await pull.waitFor('apply'); // the pull leased layers 0 and 1 and is unpacking layer 2
    const rmi = child(t.options.root, t.options.runroot, ['rmi', 'docker.io/library/old:latest']);
    await rmi.done();
    const removed = rmi.events.find((e) => e.event === 'removed') as { deleted: string[]; pruned: { layers: string[]; blobs: string[] } };
    assert.deepEqual(removed.deleted, [old.config.digest]);
    assert.deepEqual(removed.pruned.layers, [], 'the leased layers stay');
    for (const l of old.layers) assert.ok(!removed.pruned.blobs.includes(l.digest), 'the leased blobs stay');
    await pull.done();
    const rec = await store.resolveImage('new');
    for (const l of rec.layers) assert.ok(await store.layers.get(l.chainID), `layer ${l.chainID} is there`);
    assert.equal(rec.layers[0].chainID, old.diffIDs[0]);
    // Once nothing references them, the same collection frees everything.
    const gone = await store.removeImage('new');
    assert.equal(gone.pruned.layers.length, 3);
  } finally {
    await t.done();
  }
});

test('kill -9 mid-ingest leaves no blob; the next open keeps the ingest resumable, or cleans it when expired', async () => {
  const t = await tempStore();
  try {
    const c = child(t.options.root, t.options.runroot, ['ingest-and-hang']);
    const ready = await c.waitFor('ready');
    assert.equal(ready.offset, 1 << 20);
    c.proc.kill('SIGKILL');
    await c.done().catch(() => {});
    const store = await openStore(t.options);
    assert.deepEqual(await fs.readdir(path.join(store.layout.blobsDir, 'sha256')), []);
    const [ingest] = await store.content.ingests();
    assert.equal(ingest.ref, 'crash-ref');
    assert.equal(ingest.offset, 1 << 20);
    // The dead writer's lock went with it: a new writer resumes at once.
    const w = await store.content.writer('crash-ref', { expected: { size: 4 << 20 }, wait: false });
    assert.equal(w.offset, 1 << 20);
    const whole = Buffer.concat([seeded('crash', 1 << 20), seeded('rest', 3 << 20)]);
    await w.write(whole.subarray(1 << 20));
    assert.equal((await w.commit({ digest: digestOf(whole) })).size, 4 << 20);
    // A second crash, then an open that expires ingests right away, cleans the junk.
    const c2 = child(t.options.root, t.options.runroot, ['ingest-and-hang']);
    await c2.waitFor('ready');
    c2.proc.kill('SIGKILL');
    await c2.done().catch(() => {});
    const cleaned = await openStore({ ...t.options, ingestExpiryMs: 0 });
    assert.deepEqual(await cleaned.content.ingests(), []);
    assert.deepEqual(await fs.readdir(cleaned.layout.ingestDir), []);
  } finally {
    await t.done();
  }
});

for (const [via, env] of [
  ['', {}],
  [' (on a layer thread)', { APPLY_IN_WORKER: '1' }],
] as const) {
  test(`kill -9 mid-unpack${via} leaves only a temp dir, which the next open removes; the layer then unpacks cleanly`, () => killMidUnpack(env));
}

async function killMidUnpack(env: Record<string, string>): Promise<void> {
  const t = await tempStore();
  try {
    const tarBytes: Buffer[] = [];
    for await (const chunk of tarOf([{ name: 'big.bin', body: seeded('unpack', 4 << 20) }])) tarBytes.push(chunk as Buffer);
    const tar = Buffer.concat(tarBytes);
    const diffID = digestOf(tar);
    const c = child(t.options.root, t.options.runroot, ['unpack-and-hang', diffID], env);
    await c.waitFor('ready');
    const during = await fs.readdir(t.store.layout.layersDir);
    assert.equal(during.length, 1);
    assert.ok(during[0].startsWith('.tmp-'), 'the unpack works in a temp dir');
    // While the unpacker lives, an open elsewhere leaves its temp dir alone.
    await openStore(t.options);
    assert.deepEqual(await fs.readdir(t.store.layout.layersDir), during);
    c.proc.kill('SIGKILL');
    await c.done().catch(() => {});
    await fs.writeFile(path.join(t.options.root, '.images.json.tmp-0123456789ab'), '{"half');
    const store = await openStore(t.options);
    assert.deepEqual(await fs.readdir(store.layout.layersDir), []);
    assert.ok(!(await fs.readdir(t.options.root)).some((n) => n.includes('.tmp-')), 'a torn images.json temp is removed');
    assert.equal((await fs.readdir(store.layout.leasesDir)).length, 1, 'the dead pull left its lease file');
    await store.prune();
    assert.deepEqual(await fs.readdir(store.layout.leasesDir), [], 'a lease whose owner died is dropped');
    assert.equal(await store.layers.get(diffID as Digest), undefined);
    const rec = await store.withLease((lease) =>
      store.layers.unpack(lease, { diffID, open: async () => Readable.from([tar]) }),
    );
    assert.equal(rec.chainID, diffID);
    assert.equal((await fs.stat(path.join(store.layers.diffPath(diffID), 'big.bin'))).size, 4 << 20);
  } finally {
    await t.done();
  }
}
