// One behaviour suite for every graph driver: real mounts (the tests run as root), layers
// written as the layer store leaves them (overlay-style whiteouts), cleanup in finally.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { type Digest, digestHex, digestOf } from '../src/digest/digest.js';
import type { GraphDriver } from '../src/graphdriver/index.js';
import { lgetxattr, lsetxattr, mknod, S_IFCHR } from '../src/internal/sys.js';

export interface Fixture {
  dir: string;
  root: string;
  runroot: string;
  driver: GraphDriver;
  /** Makes layers/<hex>/diff for a made-up chain ID and lets `build` fill it. */
  layer(name: string, build: (dir: string) => Promise<void>): Promise<Digest>;
  mountpoint(): Promise<string>;
  done(): Promise<void>;
}

export type Open = (root: string, runroot: string) => Promise<GraphDriver>;

export async function fixture(open: Open): Promise<Fixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-gd-'));
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'run');
  const driver = await open(root, runroot);
  const targets: string[] = [];
  return {
    dir,
    root,
    runroot,
    driver,
    async layer(name, build) {
      const chain = digestOf(name);
      const diff = path.join(root, 'layers', digestHex(chain), 'diff');
      await fs.mkdir(diff, { recursive: true });
      await build(diff);
      return chain;
    },
    async mountpoint() {
      const t = await fs.mkdtemp(path.join(dir, 'mnt-'));
      targets.push(t);
      return t;
    },
    async done() {
      for (const t of targets) await driver.unmount(t, { detach: true }).catch(() => {});
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function read(p: string): Promise<string | undefined> {
  return fs.readFile(p, 'utf8').catch(() => undefined);
}

export function driverSuite(label: string, open: Open): void {
  test(`${label}: prepare describes mounts, mount shows the parents, writes stay in the snapshot`, async () => {
    const f = await fixture(open);
    try {
      const base = await f.layer('base', async (d) => {
        await fs.mkdir(path.join(d, 'etc'));
        await fs.writeFile(path.join(d, 'etc', 'hostname'), 'base\n');
        await fs.writeFile(path.join(d, 'keep'), 'k');
      });
      const mounts = await f.driver.prepare('c1', [base]);
      assert.ok(mounts.length >= 1);
      const target = await f.mountpoint();
      await f.driver.mount(mounts, target);
      try {
        assert.equal(await read(path.join(target, 'etc', 'hostname')), 'base\n');
        await fs.writeFile(path.join(target, 'etc', 'hostname'), 'changed\n');
        await fs.writeFile(path.join(target, 'new'), 'n');
        await fs.rm(path.join(target, 'keep'));
      } finally {
        await f.driver.unmount(target);
      }
      assert.deepEqual(await fs.readdir(target), []);
      // The layer itself never changes.
      assert.equal(await read(path.join(f.root, 'layers', digestHex(base), 'diff', 'etc', 'hostname')), 'base\n');
      assert.equal(await read(path.join(f.root, 'layers', digestHex(base), 'diff', 'keep')), 'k');
      const again = await f.mountpoint();
      await f.driver.mount(await f.driver.mounts('c1'), again);
      try {
        assert.equal(await read(path.join(again, 'etc', 'hostname')), 'changed\n');
        assert.equal(await read(path.join(again, 'new')), 'n');
        assert.equal(await read(path.join(again, 'keep')), undefined);
      } finally {
        await f.driver.unmount(again);
      }
      // inspect's GraphDriver.Data: paths only (overlay's dirs; vfs none), nothing made for it.
      const data = await f.driver.data('c1');
      if (f.driver.name === 'overlay') {
        assert.deepEqual(Object.keys(data).sort(), ['LowerDir', 'UpperDir', 'WorkDir']);
        assert.equal(await read(path.join(data.UpperDir, 'new')), 'n');
        assert.equal(data.LowerDir, path.join(f.root, 'layers', digestHex(base), 'diff'));
      } else assert.deepEqual(data, {});
      const diff = await f.driver.diff('c1');
      if (diff.kind === 'overlay-upper') {
        assert.equal(await read(path.join(diff.upper, 'new')), 'n');
        const wh = await fs.lstat(path.join(diff.upper, 'keep'));
        assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'deletion is an overlay whiteout in the upper dir');
      } else {
        assert.equal(await read(path.join(diff.changed, 'new')), 'n');
        assert.equal(await read(path.join(diff.base, 'keep')), 'k');
        await diff.release();
      }
    } finally {
      await f.done();
    }
  });

  test(`${label}: whiteouts and opaque dirs of an upper layer hide what is below`, async () => {
    const f = await fixture(open);
    try {
      const l1 = await f.layer('l1', async (d) => {
        await fs.writeFile(path.join(d, 'gone'), 'x');
        await fs.mkdir(path.join(d, 'dir'));
        await fs.writeFile(path.join(d, 'dir', 'old'), 'o');
        await fs.mkdir(path.join(d, 'replaced'));
        await fs.writeFile(path.join(d, 'replaced', 'inner'), 'i');
      });
      const l2 = await f.layer('l2', async (d) => {
        mknod(path.join(d, 'gone'), S_IFCHR | 0o600, 0, 0);
        await fs.mkdir(path.join(d, 'dir'));
        lsetxattr(path.join(d, 'dir'), 'trusted.overlay.opaque', Buffer.from('y'));
        await fs.writeFile(path.join(d, 'dir', 'new'), 'n');
        await fs.writeFile(path.join(d, 'replaced'), 'now a file');
      });
      const target = await f.mountpoint();
      await f.driver.mount(await f.driver.prepare('c2', [l1, l2]), target);
      try {
        assert.deepEqual((await fs.readdir(target)).sort(), ['dir', 'replaced']);
        assert.deepEqual(await fs.readdir(path.join(target, 'dir')), ['new']);
        assert.equal(await read(path.join(target, 'replaced')), 'now a file');
        assert.equal(lgetxattr(path.join(target, 'dir'), 'trusted.overlay.opaque'), undefined);
      } finally {
        await f.driver.unmount(target);
      }
    } finally {
      await f.done();
    }
  });

  test(`${label}: an id-shifted snapshot (--userns) holds the merged tree with owners moved, keeps setuid bits, and has no diff`, async () => {
    const f = await fixture(open);
    try {
      const l1 = await f.layer('u1', async (d) => {
        await fs.writeFile(path.join(d, 'gone'), 'x');
        await fs.writeFile(path.join(d, 'suid'), 'x', { mode: 0o755 });
        await fs.chmod(path.join(d, 'suid'), 0o4755);
        await fs.mkdir(path.join(d, 'home'));
        await fs.chown(path.join(d, 'home'), 1000, 1000);
        await fs.symlink('suid', path.join(d, 'link'));
        await fs.link(path.join(d, 'suid'), path.join(d, 'hard'));
      });
      const l2 = await f.layer('u2', async (d) => {
        mknod(path.join(d, 'gone'), S_IFCHR | 0o600, 0, 0);
        await fs.writeFile(path.join(d, 'top'), 't');
      });
      const map = { hostId: 200000, size: 65536 };
      const mounts = await f.driver.prepare('uns', [l1, l2], { idMap: map });
      assert.ok(mounts.every((m) => !m.options.some((o) => o.startsWith('lowerdir='))), 'no shared layers below');
      assert.deepEqual((await f.driver.stat('uns')).idMap, map);
      const target = await f.mountpoint();
      await f.driver.mount(mounts, target);
      try {
        assert.deepEqual((await fs.readdir(target)).sort(), ['hard', 'home', 'link', 'suid', 'top']);
        const owner = async (p: string) => {
          const st = await fs.lstat(path.join(target, p));
          return `${st.uid}:${st.gid}`;
        };
        assert.equal(await owner('.'), '200000:200000');
        assert.equal(await owner('top'), '200000:200000');
        assert.equal(await owner('link'), '200000:200000');
        assert.equal(await owner('home'), '201000:201000');
        assert.equal((await fs.stat(path.join(target, 'suid'))).mode & 0o7777, 0o4755);
        await fs.writeFile(path.join(target, 'new'), 'n');
      } finally {
        await f.driver.unmount(target);
      }
      // The layers themselves are untouched.
      assert.equal((await fs.lstat(path.join(f.root, 'layers', digestHex(l1), 'diff', 'home'))).uid, 1000);
      await assert.rejects(f.driver.diff('uns'), (e: { kind?: string }) => e.kind === 'unsupported');
      await assert.rejects(f.driver.commit('uns'), (e: { kind?: string }) => e.kind === 'unsupported');
      const outside = await f.layer('u3', async (d) => {
        await fs.writeFile(path.join(d, 'far'), 'x');
        await fs.chown(path.join(d, 'far'), 70000, 0);
      });
      await assert.rejects(f.driver.prepare('far', [outside], { idMap: map }), /outside the 65536 ids mapped/);
      await f.driver.remove('uns');
      assert.deepEqual(await f.driver.list(), []);
    } finally {
      await f.done();
    }
  });

  test(`${label}: read-only views, commit freezes, remove refuses while mounted`, async () => {
    const f = await fixture(open);
    try {
      const l1 = await f.layer('ro1', async (d) => fs.writeFile(path.join(d, 'a'), 'a'));
      const l2 = await f.layer('ro2', async (d) => fs.writeFile(path.join(d, 'b'), 'b'));
      for (const parents of [[], [l1], [l1, l2]]) {
        const key = `view-${parents.length}`;
        const target = await f.mountpoint();
        await f.driver.mount(await f.driver.prepare(key, parents, { readonly: true }), target);
        try {
          assert.equal((await fs.readdir(target)).length, parents.length);
          await assert.rejects(fs.writeFile(path.join(target, 'x'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'EROFS');
        } finally {
          await f.driver.unmount(target);
        }
        await f.driver.remove(key);
        await assert.rejects(f.driver.stat(key), (e: { kind?: string }) => e.kind === 'not-found');
      }
      await f.driver.prepare('frozen', [l1]);
      const t = await f.mountpoint();
      await f.driver.mount(await f.driver.mounts('frozen'), t);
      await fs.writeFile(path.join(t, 'c'), 'c');
      await assert.rejects(f.driver.remove('frozen'), (e: { kind?: string }) => e.kind === 'failed-precondition');
      await f.driver.unmount(t);
      await f.driver.commit('frozen');
      assert.equal((await f.driver.stat('frozen')).kind, 'committed');
      await f.driver.mount(await f.driver.mounts('frozen'), t);
      try {
        assert.deepEqual((await fs.readdir(t)).sort(), ['a', 'c']);
        await assert.rejects(fs.writeFile(path.join(t, 'd'), 'd'), (e: NodeJS.ErrnoException) => e.code === 'EROFS');
      } finally {
        await f.driver.unmount(t);
      }
      assert.deepEqual((await f.driver.list()).map((s) => s.key), ['frozen']);
    } finally {
      await f.done();
    }
  });

  test(`${label}: bad keys, missing parents and taken keys fail clearly and leave nothing`, async () => {
    const f = await fixture(open);
    try {
      for (const bad of ['', '../x', 'a/b', '.hidden', 'x'.repeat(200)]) {
        await assert.rejects(f.driver.prepare(bad, []), (e: { kind?: string }) => e.kind === 'invalid-argument', bad);
      }
      await assert.rejects(f.driver.prepare('k', [digestOf('missing')]), (e: { kind?: string; message: string }) => e.kind === 'not-found' && /not unpacked/.test(e.message));
      await f.driver.prepare('k', []);
      await assert.rejects(f.driver.prepare('k', []), (e: { kind?: string }) => e.kind === 'already-exists');
      assert.deepEqual(await fs.readdir(path.join(f.root, 'snapshots')), ['k']);
      await assert.rejects(f.driver.prepare('k2', ['sha256:nope' as Digest]), (e: { kind?: string }) => e.kind === 'invalid-argument');
    } finally {
      await f.done();
    }
  });

  test(`${label}: open removes half-prepared snapshots of dead processes only`, async () => {
    const f = await fixture(open);
    try {
      const dead = path.join(f.root, 'snapshots', '.tmp-999999999-prepare-x-0000');
      const live = path.join(f.root, 'snapshots', `.tmp-${process.pid}-prepare-y-0000`);
      await fs.mkdir(path.join(dead, 'upper'), { recursive: true });
      await fs.mkdir(live);
      await open(f.root, f.runroot);
      assert.deepEqual(await fs.readdir(path.join(f.root, 'snapshots')), [path.basename(live)]);
      assert.deepEqual(await f.driver.list(), []);
    } finally {
      await f.done();
    }
  });

  test(`${label}: info names the driver, the backing file system and the roots`, async () => {
    const f = await fixture(open);
    try {
      const info = await f.driver.info();
      assert.equal(info.driver, f.driver.name);
      assert.equal(info.root, f.root);
      assert.equal(info.runroot, f.runroot);
      assert.match(info.backingFilesystem, /^(extfs|xfs|btrfs|tmpfs|overlayfs|zfs|0x[0-9a-f]+|\w+)$/);
    } finally {
      await f.done();
    }
  });
}
