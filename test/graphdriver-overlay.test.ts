// The overlay driver against the kernel's overlayfs: the shared suite, plus the deep stack
// that only fits one page of mount options through short links.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { MOUNT_DATA_MAX, openGraphDriver, probeOverlay } from '../src/graphdriver/index.js';
import { mount } from '../src/internal/sys.js';
import { driverSuite, fixture } from './graphdriver-suite.js';

const open = (root: string, runroot: string) => openGraphDriver({ root, runroot, driver: 'overlay' });

driverSuite('overlay', open);

test('overlay: 150 layers mount within the one-page limit of mount data', async () => {
  const f = await fixture(open);
  const cwd = process.cwd();
  try {
    assert.equal(f.driver.name, 'overlay');
    const chain = [];
    for (let i = 0; i < 150; i++) chain.push(await f.layer(`deep-${i}`, (d) => fs.writeFile(path.join(d, `f${i}`), String(i))));
    const mounts = await f.driver.prepare('deep', chain);
    assert.equal(mounts.length, 1);
    const data = mounts[0].options.join(',');
    assert.ok(data.length <= MOUNT_DATA_MAX, `${data.length} bytes of options`);
    assert.ok(mounts[0].workingDir, 'a deep stack uses relative links');
    const target = await f.mountpoint();
    await f.driver.mount(mounts, target);
    try {
      const names = await fs.readdir(target);
      assert.equal(names.length, 150);
      assert.equal(await fs.readFile(path.join(target, 'f0'), 'utf8'), '0');
      assert.equal(await fs.readFile(path.join(target, 'f149'), 'utf8'), '149');
      await fs.writeFile(path.join(target, 'f0'), 'top');
    } finally {
      await f.driver.unmount(target);
    }
    assert.equal(process.cwd(), cwd, 'the working directory is restored');
    // A shallow stack keeps absolute, real lower paths (what a runtime's config.json wants).
    const shallow = await f.driver.prepare('shallow', chain.slice(0, 3));
    assert.equal(shallow[0].workingDir, undefined);
    assert.match(shallow[0].options[0], /^lowerdir=\/.*\/layers\/[a-f0-9]{64}\/diff:/);
  } finally {
    await f.done();
  }
});

test('overlay: a stack too deep for one page of options is refused clearly and leaves no snapshot', async () => {
  const f = await fixture(open);
  try {
    const chain = [];
    for (let i = 0; i < 300; i++) chain.push(await f.layer(`huge-${i}`, async () => {}));
    await assert.rejects(f.driver.prepare('huge', chain), (e: { kind?: string; message: string }) => e.kind === 'resource-exhausted' && /300 layers do not fit/.test(e.message));
    assert.deepEqual(await fs.readdir(path.join(f.root, 'snapshots')), []);
  } finally {
    await f.done();
  }
});

test('overlay: the probe result is cached in the run root', async () => {
  const f = await fixture(open);
  try {
    const cached = JSON.parse(await fs.readFile(path.join(f.runroot, 'graphdriver', 'overlay-probe.json'), 'utf8'));
    assert.equal(cached.supported, true);
    assert.equal((await f.driver.info()).driver, 'overlay');
  } finally {
    await f.done();
  }
});

test('overlay: what a probe killed between its mount and unmount left is released by the next probe', async () => {
  const f = await fixture(open);
  try {
    // A prober that is gone (its PID names no process now), with its test overlay still mounted.
    const dead = spawnSync('true').pid;
    const left = path.join(f.root, `.overlay-probe-${dead}-0badf00d`);
    const [lower, upper, work, merged] = ['l1', 'u', 'w', 'm'].map((n) => path.join(left, n));
    for (const d of [lower, upper, work, merged]) await fs.mkdir(d, { recursive: true });
    mount('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${upper},workdir=${work}`);
    // A live prober's dir is not touched.
    const live = path.join(f.root, `.overlay-probe-${process.pid}-0badf00d`);
    await fs.mkdir(live);
    await fs.rm(path.join(f.runroot, 'graphdriver', 'overlay-probe.json'));
    assert.equal((await probeOverlay(f.root, f.runroot)).supported, true);
    const mountinfo = await fs.readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(left), 'the left mount is gone');
    assert.deepEqual((await fs.readdir(f.root)).filter((n) => n.startsWith('.overlay-probe-')), [path.basename(live)]);
  } finally {
    await f.done();
  }
});

test('overlay: a volatile snapshot mounts with "volatile" and mounts again after its unmount', async () => {
  const f = await fixture(open);
  try {
    const probe = JSON.parse(await fs.readFile(path.join(f.runroot, 'graphdriver', 'overlay-probe.json'), 'utf8'));
    assert.equal(typeof probe.volatile, 'boolean');
    const base = await f.layer('vbase', (d) => fs.writeFile(path.join(d, 'f'), 'base'));
    const mounts = await f.driver.prepare('brief', [base], { volatile: true });
    assert.equal(mounts[0].options.includes('volatile'), probe.volatile);
    assert.equal((await f.driver.stat('brief')).volatile, true);
    assert.ok(!(await f.driver.prepare('kept', [base]))[0].options.includes('volatile'));
    const target = await f.mountpoint();
    for (const round of ['first', 'second']) {
      await f.driver.mount(await f.driver.mounts('brief'), target);
      try {
        assert.equal(await fs.readFile(path.join(target, 'f'), 'utf8'), round === 'first' ? 'base' : 'first');
        await fs.writeFile(path.join(target, 'f'), round);
      } finally {
        await f.driver.unmount(target);
      }
    }
    await f.driver.remove('brief');
  } finally {
    await f.done();
  }
});
