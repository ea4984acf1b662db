// Compatibility with podman build (buildah 1.28): the same Containerfiles over the same
// busybox rootfs give images with the same config fields and the same file trees.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Containerfile text, not templates
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { build, type BuildServices } from '../src/build/builder.js';
import { openGraphDriver } from '../src/graphdriver/index.js';
import { parseImageConfig } from '../src/image/index.js';
import { findRuntime } from '../src/runtime/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { berth, busyboxRootfs, importRootfs, tempRoots, type TestRoots, writeTree } from './build-fixtures.js';
import { startDistribution } from './client-helpers.js';

let roots: TestRoots;
let store: Store;
let services: BuildServices;
let podmanArgs: string[];

/** Paths buildah's RUN leaves behind as empty mount points (runtime artifacts, not content). */
const RUN_ARTIFACTS = new Set(['etc/hosts', 'etc/resolv.conf', 'etc/hostname', 'proc', 'dev', 'sys', 'run']);
const CONFIG_FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Labels', 'Volumes', 'StopSignal'] as const;

function podman(args: string[], options: { input?: string } = {}): string {
  const r = spawnSync('podman', [...podmanArgs, ...args], { encoding: 'utf8', input: options.input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  roots = tempRoots('berth-build-compat-');
  podmanArgs = [
    '--root', path.join(roots.dir, 'podman-root'),
    '--runroot', path.join(roots.dir, 'podman-run'),
    '--storage-driver', 'vfs',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none',
    '--runtime', 'runc',
  ];
  const rootfs = busyboxRootfs(path.join(roots.dir, 'rootfs'));
  const tarball = path.join(roots.dir, 'busybox.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);
  podman(['import', tarball, 'localhost/busybox']);
  const imported = JSON.parse(podman(['image', 'inspect', 'localhost/busybox', '--format', '{{json .Config}}']));
  store = await openStore({ root: roots.root, runroot: roots.runroot });
  await importRootfs(store, rootfs, 'localhost/busybox:latest', imported, { exactConfig: true });
  const driver = await openGraphDriver({ root: roots.root, runroot: roots.runroot, lowerPath: (c) => store.layers.diffPath(c) });
  services = {
    store,
    driver,
    root: roots.root,
    runroot: roots.runroot,
    runtime: async () => (await findRuntime({ runRoot: roots.runroot, candidates: ['runc'] })).runtime,
  };
});

after(() => {
  spawnSync('podman', [...podmanArgs, 'rmi', '-a', '-f'], { stdio: 'ignore' });
  roots.cleanup();
});

type Tree = Map<string, string>;

/** path -> "type mode uid:gid size sha256|target": what "the same filesystem" means here. */
function walk(root: string): Tree {
  const out: Tree = new Map();
  const visit = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      let what: string;
      if (st.isSymbolicLink()) what = `link -> ${fs.readlinkSync(full)}`;
      else if (st.isDirectory()) what = `dir ${mode}`;
      else if (st.isFile()) what = `file ${mode} ${st.size} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16)}`;
      else what = `other ${mode}`;
      out.set(r, `${what} ${st.uid}:${st.gid}`);
      if (st.isDirectory()) visit(full, r);
    }
  };
  visit(root, '');
  return out;
}

function withoutArtifacts(tree: Tree, berthTree: Tree): Tree {
  const out: Tree = new Map();
  for (const [p, v] of tree) {
    const top = p.split('/')[0];
    const artifact = RUN_ARTIFACTS.has(p) || (RUN_ARTIFACTS.has(top) && !berthTree.has(top));
    if (!artifact || berthTree.has(p)) out.set(p, v);
  }
  return out;
}

async function compare(name: string, files: Record<string, string>): Promise<void> {
  const ctx = path.join(roots.dir, `ctx-${name}`);
  writeTree(ctx, files);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const ours = await build(services, {
    contextDir: ctx,
    containerfile: { text: files.Containerfile, name: 'Containerfile' },
    reporter: { step: () => {}, cached: () => {}, note: () => {}, stdout: sink, stderr: sink },
  });
  const tag = `localhost/compat-${name}`;
  podman(['build', '--network', 'host', '-q', '-t', tag, ctx]);
  const theirs = JSON.parse(podman(['image', 'inspect', tag, '--format', '{{json .Config}}']));
  const mine = parseImageConfig(await store.content.readBlob(ours.record.config.digest)).config ?? {};
  const labels = { ...(theirs.Labels ?? {}) };
  delete labels['io.buildah.version'];
  theirs.Labels = Object.keys(labels).length ? labels : undefined;
  for (const f of CONFIG_FIELDS) {
    const a = (mine as Record<string, unknown>)[f];
    const b = theirs[f];
    const empty = (v: unknown) => v === undefined || v === null || v === '' || (typeof v === 'object' && Object.keys(v as object).length === 0);
    if (empty(a) && empty(b)) continue;
    assert.deepEqual(a, b, `${name}: config ${f} differs`);
  }
  const mount = podman(['image', 'mount', tag]).trim();
  let podmanTree: Tree;
  try {
    podmanTree = walk(mount);
  } finally {
    podman(['image', 'unmount', tag]);
  }
  const key = `compat-${randomBytes(4).toString('hex')}`;
  const view = path.join(roots.dir, key);
  fs.mkdirSync(view);
  const mounts = await services.driver.prepare(key, ours.record.layers.map((l) => l.chainID), { readonly: true });
  let berthTree: Tree;
  try {
    await services.driver.mount(mounts, view);
    berthTree = walk(view);
  } finally {
    await services.driver.unmount(view).catch(() => {});
    await services.driver.remove(key);
  }
  const filtered = withoutArtifacts(podmanTree, berthTree);
  const diffs: string[] = [];
  for (const [p, v] of filtered) if (berthTree.get(p) !== v) diffs.push(`${p}: podman ${v} | berth ${berthTree.get(p) ?? 'absent'}`);
  for (const [p, v] of berthTree) if (!filtered.has(p)) diffs.push(`${p}: podman absent | berth ${v}`);
  assert.deepEqual(diffs, [], `${name}: file trees differ`);
}

test('compat: config instructions, WORKDIR, COPY and RUN', async () => {
  await compare('basic', {
    Containerfile: [
      'FROM localhost/busybox',
      'ENV A=1 B="two words"',
      'WORKDIR /app',
      'COPY f.txt ./',
      'RUN echo hi > /app/run.txt && mkdir -p /var/lib/x && chmod 700 /var/lib/x',
      'USER 1000',
      'EXPOSE 80 53/udp',
      'LABEL x=y "quoted key"="v w"',
      'VOLUME /data',
      'STOPSIGNAL SIGTERM',
      'ENTRYPOINT ["/bin/sh"]',
      'CMD ["-c", "echo"]',
    ].join('\n'),
    'f.txt': 'f\n',
  });
});

test('compat: multi-stage with ARG, COPY --from and a scratch runtime stage', async () => {
  await compare('multistage', {
    Containerfile: [
      'ARG OUT=/out',
      'FROM localhost/busybox AS build',
      'ARG OUT',
      'RUN mkdir -p $OUT && echo built > $OUT/artifact && ln -s artifact $OUT/link',
      'FROM scratch',
      'ARG OUT',
      'COPY --from=build ${OUT}/ /opt/',
      'COPY --from=build /bin/busybox /bin/busybox',
      'CMD ["/bin/busybox", "cat", "/opt/artifact"]',
    ].join('\n'),
  });
});

test('compat: directory copies, globs, --chown, --chmod, .dockerignore', async () => {
  await compare('copies', {
    Containerfile: [
      'FROM localhost/busybox',
      'COPY src /srv/src',
      'COPY *.conf /etc/app/',
      'COPY --chown=1000:1000 --chmod=640 secret.txt /srv/',
      'COPY . /ctx/',
    ].join('\n'),
    '.dockerignore': '*.log\nignored/\n',
    'src/a.txt': 'a',
    'src/nested/b.txt': 'b',
    'one.conf': '1',
    'two.conf': '2',
    'secret.txt': 's',
    'debug.log': 'x',
    'ignored/file': 'x',
  });
});

test('an image built by berth pushes to a registry and runs in podman', async () => {
  const registry = await startDistribution(path.join(roots.dir, 'registry'));
  try {
    const ctx = path.join(roots.dir, 'ctx-push');
    writeTree(ctx, {
      Containerfile: [
        'FROM localhost/busybox AS build',
        'RUN echo "built by berth" > /msg',
        'FROM scratch',
        'COPY --from=build /bin/busybox /bin/busybox',
        'COPY --from=build /msg /msg',
        'ENV GREETING=hi',
        'ENTRYPOINT ["/bin/busybox", "sh", "-c"]',
        'CMD ["cat /msg; echo $GREETING"]',
      ].join('\n'),
    });
    const name = `${registry.host}/team/app:1`;
    const built = berth(roots, ['build', '-q', '-t', name, ctx]);
    assert.equal(built.code, 0, built.stderr);
    const pushed = berth(roots, ['push', '--tls-verify=false', name]);
    assert.equal(pushed.code, 0, pushed.stderr);
    podman(['pull', '-q', '--tls-verify=false', name]);
    const out = podman(['run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', name]);
    assert.equal(out, 'built by berth\nhi\n');
    // FROM an image the store lacks pulls it (here from the loopback registry, over HTTP).
    const other = tempRoots('berth-build-pull-');
    try {
      const ctx2 = path.join(other.dir, 'ctx');
      writeTree(ctx2, { Containerfile: `FROM ${name}\nCOPY extra /extra\n`, extra: 'x' });
      const child = berth(other, ['build', '-t', 'child', ctx2]);
      assert.equal(child.code, 0, child.stderr);
      assert.match(child.stdout, /pulling/);
      const childStore = await openStore({ root: other.root, runroot: other.runroot });
      assert.equal((await childStore.resolveImage('child')).layers.length, 3);
    } finally {
      other.cleanup();
    }
  } finally {
    await registry.stop();
  }
});
