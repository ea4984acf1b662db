import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerArchive } from './docker-archive/reader.js';
import { DockerArchiveSink } from './docker-archive/sink.js';
import { OciArchive, OciArchiveSink } from './layout/archive.js';
import { OciLayout } from './layout/layout.js';
import { OciLayoutSink } from './layout/sink.js';
import { MemoryImageStore } from './memory.js';
import { imageSinkSuite } from './sink-suite.js';

const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'berth-sink-suite-'));

imageSinkSuite('memory', async () => {
  const store = new MemoryImageStore();
  return { sink: store, open: (tag) => store.open(tag), cleanup: async () => {} };
});

imageSinkSuite('oci layout', async () => {
  const dir = await tmp();
  const sink = new OciLayoutSink(path.join(dir, 'layout'), { durable: false });
  return { sink, open: (tag) => new OciLayout(sink.dir).open(tag), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});

imageSinkSuite('oci-archive', async () => {
  const dir = await tmp();
  const file = path.join(dir, 'a.tar');
  const sink = new OciArchiveSink(file, { durable: false });
  return {
    sink,
    finish: () => sink.commit(),
    open: (tag) => new OciArchive(file).open(tag),
    cleanup: async () => {
      await sink.abort();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

imageSinkSuite('docker-archive', async () => {
  const dir = await tmp();
  const file = path.join(dir, 'a.tar');
  const sink = new DockerArchiveSink(file, { durable: false });
  return {
    sink,
    finish: () => sink.commit(),
    open: (tag) => new DockerArchive(file).image(tag),
    cleanup: async () => {
      await sink.abort();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});
