import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FilesystemDriver } from './filesystem.js';
import { MemoryDriver } from './memory.js';
import { driverSuite } from './suite.js';

driverSuite('filesystem', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-driver-'));
  return { driver: new FilesystemDriver(dir), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});

driverSuite('filesystem (O_DIRECT)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-driver-'));
  return { driver: new FilesystemDriver(dir, { direct: true }), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});

driverSuite('inmemory', async () => ({ driver: new MemoryDriver(), cleanup: async () => {} }));
