import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadEngineConfig } from './config.js';

async function withFile(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-cfg-'));
  try {
    await fs.writeFile(path.join(dir, 'berth.toml'), text);
    await fn(path.join(dir, 'berth.toml'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('[engine] runtimes and storage_driver', async () => {
  await withFile('[engine]\nruntimes = ["crun", "/usr/sbin/runc"]\nstorage_driver = "vfs"\n', async (f) => {
    assert.deepEqual(await loadEngineConfig(f), { runtimes: ['crun', '/usr/sbin/runc'], storageDriver: 'vfs' });
  });
});

test('a missing file is no settings', async () => {
  assert.deepEqual(await loadEngineConfig('/no/such/berth.toml'), {});
});

test('malformed TOML is a clear error', async () => {
  await withFile('[engine\nruntimes = ', async (f) => {
    await assert.rejects(loadEngineConfig(f), /cannot read .*berth.toml/);
  });
});

test('runtimes of the wrong type are refused', async () => {
  await withFile('[engine]\nruntimes = "runc"\n', async (f) => {
    await assert.rejects(loadEngineConfig(f), /must be a list/);
  });
});
