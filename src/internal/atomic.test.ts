import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { isTempName, tempPathFor, writeFileAtomic, writeJsonAtomic } from './atomic.js';

test('writeFileAtomic replaces the target and leaves no temp files', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-atomic-'));
  const target = path.join(dir, 'f.json');
  await writeFileAtomic(target, 'one');
  await writeJsonAtomic(target, { two: 2 });
  assert.deepEqual(JSON.parse(await fs.readFile(target, 'utf8')), { two: 2 });
  assert.deepEqual(await fs.readdir(dir), ['f.json']);
  await fs.rm(dir, { recursive: true });
});

test('writeFileAtomic into a missing directory fails with not-found and writes nothing', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-atomic-'));
  await assert.rejects(writeFileAtomic(path.join(dir, 'nope', 'f'), 'x'), (e: any) => e.kind === 'not-found');
  assert.deepEqual(await fs.readdir(dir), []);
  await fs.rm(dir, { recursive: true });
});

test('temp names are recognisable for cleanup', () => {
  assert.ok(isTempName(path.basename(tempPathFor('/a/b/index.json'))));
  assert.ok(!isTempName('index.json'));
});
