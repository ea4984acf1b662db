import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { acquireLock, deleteLockFile, isLocked, withLock } from './lock.js';

async function tmp() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-lock-'));
  return { file: path.join(dir, 'sub', 'x.lock'), done: () => fs.rm(dir, { recursive: true, force: true }) };
}

test('exclusive locks exclude each other within one process; shared locks share', async () => {
  const t = await tmp();
  try {
    const a = await acquireLock(t.file);
    assert.ok(a?.held);
    assert.equal(await acquireLock(t.file, { wait: false }), undefined);
    assert.equal(await acquireLock(t.file, { mode: 'shared', wait: false }), undefined);
    assert.equal(await isLocked(t.file), true);
    await a!.release();
    assert.equal(await isLocked(t.file), false);
    const s1 = await acquireLock(t.file, { mode: 'shared' });
    const s2 = await acquireLock(t.file, { mode: 'shared', wait: false });
    assert.ok(s1 && s2);
    assert.equal(await acquireLock(t.file, { wait: false }), undefined);
    await s1.release();
    await s2.release();
  } finally {
    await t.done();
  }
});

test('a waiter gets the lock when the holder lets go; withLock serialises critical sections', async () => {
  const t = await tmp();
  try {
    const order: string[] = [];
    const first = withLock(t.file, {}, async () => {
      order.push('a-in');
      await new Promise((r) => setTimeout(r, 30));
      order.push('a-out');
    });
    await new Promise((r) => setTimeout(r, 5));
    const second = withLock(t.file, {}, async () => {
      order.push('b-in');
    });
    await Promise.all([first, second]);
    assert.deepEqual(order, ['a-in', 'a-out', 'b-in']);
  } finally {
    await t.done();
  }
});

test('waiting ends with aborted when the signal fires', async () => {
  const t = await tmp();
  try {
    const held = await acquireLock(t.file);
    const ac = new AbortController();
    const waiting = acquireLock(t.file, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(waiting, (e: { kind?: string }) => e.kind === 'aborted');
    await held!.release();
  } finally {
    await t.done();
  }
});

test('a holder may delete the lock file: a waiter then locks the new file, never the deleted one alone', async () => {
  const t = await tmp();
  try {
    const a = await acquireLock(t.file);
    assert.ok(a);
    // b waits on the file a holds; a deletes it and lets go.
    const waiting = acquireLock(t.file);
    await new Promise((r) => setTimeout(r, 10));
    deleteLockFile(t.file);
    await a.release();
    // c comes after the delete: it creates the file anew. b and c must not both hold a lock.
    const c = await acquireLock(t.file, { wait: false });
    const b = await Promise.race([waiting, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
    if (c) {
      // c got the new file first: b, retrying on it, is still waiting.
      assert.equal(b, undefined);
      await c.release();
      const got = await waiting;
      assert.ok(got?.held);
      await got.release();
    } else {
      // b got there first (on the new file): c found it taken.
      assert.ok(b?.held);
      await b.release();
    }
    // The path names a lock file that works as before.
    assert.equal(await isLocked(t.file), false);
    const again = await acquireLock(t.file, { wait: false });
    assert.ok(again?.held);
    deleteLockFile(t.file);
    await again.release();
    await assert.rejects(fs.stat(t.file), /ENOENT/);
  } finally {
    await t.done();
  }
});
