// berth build end to end on real files: multi-stage builds over a busybox-static base,
// every instruction, RUN under runc, the cache, .dockerignore, heredocs, ONBUILD, ADD.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Containerfile text, not templates
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Writable } from 'node:stream';
import { build, type BuildOptions, type BuildServices } from '../src/build/builder.js';
import { StackView } from '../src/build/stack-view.js';
import { openGraphDriver } from '../src/graphdriver/index.js';
import { parseImageConfig, type ImageConfig } from '../src/image/index.js';
import { findRuntime } from '../src/runtime/index.js';
import type { ImageRecord, Store } from '../src/store/index.js';
import { berth, storeWithBusybox, tempRoots, type TestRoots, writeTree } from './build-fixtures.js';

let roots: TestRoots;
let store: Store;
let services: BuildServices;
let n = 0;

before(async () => {
  roots = tempRoots();
  store = await storeWithBusybox(roots);
  const driver = await openGraphDriver({ root: roots.root, runroot: roots.runroot, lowerPath: (c) => store.layers.diffPath(c) });
  services = {
    store,
    driver,
    root: roots.root,
    runroot: roots.runroot,
    runtime: async () => (await findRuntime({ runRoot: roots.runroot, candidates: ['runc'] })).runtime,
  };
});
after(() => roots.cleanup());

interface Built {
  rec: ImageRecord;
  config: ImageConfig;
  view: StackView;
  steps: string[];
  cached: number;
  output: string;
}

async function buildIn(files: Record<string, string>, options: Partial<BuildOptions> = {}, dir?: string): Promise<Built> {
  const ctx = dir ?? path.join(roots.dir, `ctx-${++n}`);
  writeTree(ctx, files);
  const steps: string[] = [];
  let cached = 0;
  let output = '';
  const sink = new Writable({
    write(c, _e, cb) {
      output += c.toString();
      cb();
    },
  });
  const text = files.Containerfile ?? fs.readFileSync(path.join(ctx, 'Containerfile'), 'utf8');
  const result = await build(services, {
    contextDir: ctx,
    containerfile: { text, name: 'Containerfile' },
    reporter: { step: (_n, _t, s) => steps.push(s), cached: () => cached++, note: () => {}, stdout: sink, stderr: sink },
    ...options,
  });
  const config = parseImageConfig(await store.content.readBlob(result.record.config.digest));
  return { rec: result.record, config, view: new StackView(store, result.record.layers.map((l) => l.chainID)), steps, cached, output };
}

const read = (b: Built, p: string) => b.view.read(p)?.toString();

test('multi-stage: a program built in a busybox stage, shipped FROM scratch', async () => {
  const b = await buildIn({
    Containerfile: [
      'FROM busybox AS build',
      'WORKDIR /src',
      'COPY hello.sh .',
      'RUN mkdir -p /out && sed "s/NAME/berth/" hello.sh > /out/hello && chmod 755 /out/hello',
      'FROM scratch',
      'COPY --from=busybox /bin/busybox /bin/sh',
      'COPY --from=build /out/hello /hello',
      'ENTRYPOINT ["/bin/sh", "/hello"]',
    ].join('\n'),
    'hello.sh': 'echo "hello from NAME"\n',
  });
  assert.equal(read(b, '/hello'), 'echo "hello from berth"\n');
  assert.equal(b.view.stat('/hello')!.mode & 0o777, 0o755);
  assert.ok(b.view.stat('/bin/sh')!.size > 100_000);
  assert.equal(b.view.lstat('/src'), undefined, 'the build stage stays out of the final image');
  assert.equal(b.rec.layers.length, 2);
  assert.deepEqual(b.config.config?.Entrypoint, ['/bin/sh', '/hello']);
  assert.deepEqual(
    b.config.history?.map((h) => h.created_by),
    ['COPY --from=busybox /bin/busybox /bin/sh', 'COPY --from=build /out/hello /hello', 'ENTRYPOINT ["/bin/sh", "/hello"]'],
  );
});

test('every metadata instruction lands in the config, and RUN sees env, user, workdir and shell', async () => {
  const b = await buildIn({
    Containerfile: [
      'FROM busybox',
      'ARG BUILD_ONLY=arg-value',
      'ENV APP_HOME=/srv/app GREETING="hello world"',
      'WORKDIR $APP_HOME',
      'WORKDIR sub',
      'LABEL org.example.name="demo" version=1.0',
      'EXPOSE 8080 53/udp 9000-9001',
      'VOLUME ["/data"]',
      'VOLUME /logs /cache',
      'STOPSIGNAL SIGINT',
      'HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD wget -q localhost',
      'SHELL ["/bin/sh", "-ec"]',
      'RUN echo "$GREETING|$BUILD_ONLY|$(pwd)|$(id -u)|$-" > /tmp/run-1',
      'USER app',
      'RUN id -u > /tmp/as-app || true',
      'USER root',
      'RUN cat /tmp/as-app >> /tmp/run-1',
      'USER 1000:1000',
      'ONBUILD RUN echo triggered > /onbuild',
      'CMD ["serve", "--port", "8080"]',
      'ENTRYPOINT ["/bin/app"]',
      'MAINTAINER someone',
    ].join('\n'),
  });
  const c = b.config.config!;
  assert.ok(c.Env?.includes('APP_HOME=/srv/app'));
  assert.ok(c.Env?.includes('GREETING=hello world'));
  assert.ok(!c.Env?.some((e) => e.startsWith('BUILD_ONLY=')), 'ARG values are not kept in the image');
  assert.equal(c.WorkingDir, '/srv/app/sub');
  assert.deepEqual(c.Labels, { 'org.example.name': 'demo', version: '1.0' });
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ['53/udp', '8080/tcp', '9000/tcp', '9001/tcp']);
  assert.deepEqual(Object.keys(c.Volumes ?? {}).sort(), ['/cache', '/data', '/logs']);
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 5e9, Timeout: 2e9, Retries: 4 });
  assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.OnBuild, ['RUN echo triggered > /onbuild']);
  assert.deepEqual(c.Cmd, ['serve', '--port', '8080']);
  assert.deepEqual(c.Entrypoint, ['/bin/app']);
  // SHELL ["/bin/sh", "-ec"] is in force: $- shows errexit.
  assert.match(read(b, '/tmp/run-1') ?? '', /^hello world\|arg-value\|\/srv\/app\/sub\|0\|[a-z]*e[a-z]*\n1000\n$/);
  const emptyLayers = b.config.history!.filter((h) => h.empty_layer).length;
  assert.equal(b.config.history!.length - emptyLayers, b.rec.layers.length, 'one history entry per layer, the rest empty_layer');
});

test('ONBUILD triggers run in the child build, and are not inherited further', async () => {
  await buildIn({ Containerfile: 'FROM busybox\nONBUILD COPY marker /marker\nONBUILD RUN echo ran > /ran' }, { tags: ['onbuild-base'] });
  const child = await buildIn({ Containerfile: 'FROM onbuild-base\nRUN cat /marker /ran > /both', marker: 'M\n' });
  assert.equal(read(child, '/both'), 'M\nran\n');
  assert.equal(child.config.config?.OnBuild, undefined);
});

test('heredocs: RUN <<EOF runs a script, COPY <<EOF writes a file with variables expanded', async () => {
  const b = await buildIn({
    Containerfile: 'FROM busybox\nENV WHO=berth\nRUN <<EOF\nset -e\necho one > /h1\necho "two $WHO" >> /h1\nEOF\nCOPY <<CONF <<\'RAW\' /etc/app/\nname=$WHO\nCONF\nname=$WHO\nRAW\n',
  });
  assert.equal(read(b, '/h1'), 'one\ntwo berth\n');
  assert.equal(read(b, '/etc/app/CONF'), 'name=berth\n');
  assert.equal(read(b, '/etc/app/RAW'), 'name=$WHO\n');
});

test('COPY destination rules, globs, --chown and --chmod', async () => {
  const b = await buildIn({
    Containerfile: [
      'FROM busybox',
      'COPY a.txt /file-renamed',
      'COPY a.txt /dir/',
      'COPY *.md /docs/',
      'COPY tree /tree',
      'COPY --chown=app:app --chmod=600 a.txt /owned',
      'COPY --chown=1234 a.txt /numeric',
      'WORKDIR /w',
      'COPY a.txt rel/',
    ].join('\n'),
    'a.txt': 'A',
    'x.md': 'X',
    'y.md': 'Y',
    'tree/sub/deep.txt': 'D',
    'tree/top.txt': 'T',
  });
  assert.equal(read(b, '/file-renamed'), 'A');
  assert.equal(read(b, '/dir/a.txt'), 'A');
  assert.equal(read(b, '/docs/x.md'), 'X');
  assert.equal(read(b, '/docs/y.md'), 'Y');
  assert.equal(read(b, '/tree/sub/deep.txt'), 'D', 'a directory source copies its contents');
  assert.equal(b.view.lstat('/tree/tree'), undefined);
  const owned = b.view.stat('/owned')!;
  assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o777], [1000, 1000, 0o600]);
  const numeric = b.view.stat('/numeric')!;
  assert.deepEqual([numeric.uid, numeric.gid], [1234, 1234]);
  assert.equal(b.view.stat('/file-renamed')!.uid, 0, 'context files become root-owned');
  assert.equal(read(b, '/w/rel/a.txt'), 'A');
  await assert.rejects(buildIn({ Containerfile: 'FROM busybox\nCOPY a b /nodir', a: '', b: '' }), /Containerfile:2: .*destination must be a directory and end with a \//);
  await assert.rejects(buildIn({ Containerfile: 'FROM busybox\nCOPY *.nope /x/' }), /Containerfile:2: .*no source files match/);
});

test('.dockerignore excludes files from COPY, with ! re-inclusion', async () => {
  const b = await buildIn({
    Containerfile: 'FROM scratch\nCOPY . /ctx/',
    '.dockerignore': '*.log\nsecrets/\nbuild/**\n!build/keep.txt\n',
    'app.txt': 'app',
    'debug.log': 'log',
    'secrets/key': 'k',
    'build/out.o': 'o',
    'build/keep.txt': 'keep',
  });
  assert.equal(read(b, '/ctx/app.txt'), 'app');
  assert.equal(b.view.lstat('/ctx/debug.log'), undefined);
  assert.equal(b.view.lstat('/ctx/secrets/key'), undefined);
  assert.equal(b.view.lstat('/ctx/build/out.o'), undefined);
  assert.equal(read(b, '/ctx/build/keep.txt'), 'keep');
  await assert.rejects(
    buildIn({ Containerfile: 'FROM scratch\nCOPY debug.log /x', '.dockerignore': '*.log', 'debug.log': '' }),
    /excluded by the ignore file/,
  );
});

test('cache: unchanged rebuild hits every step; a copied file changed re-runs from its COPY; an unrelated file does not', async () => {
  const dir = path.join(roots.dir, 'ctx-cache');
  const files = {
    Containerfile: 'FROM busybox\nCOPY base.txt /\nRUN echo one > /one\nCOPY app.txt /\nRUN cat /app.txt > /copy\n',
    'base.txt': 'base',
    'app.txt': 'v1',
    'unrelated.txt': 'u',
  };
  const first = await buildIn(files, {}, dir);
  assert.equal(first.cached, 0);
  const again = await buildIn({}, {}, dir);
  assert.equal(again.cached, 4);
  assert.equal(again.rec.id, first.rec.id, 'a fully cached rebuild gives the same image ID');
  fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'changed');
  const mtime = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'base.txt'), mtime, mtime);
  const touched = await buildIn({}, {}, dir);
  assert.equal(touched.cached, 4, 'timestamps and files nobody copies do not matter');
  fs.writeFileSync(path.join(dir, 'app.txt'), 'v2');
  const changed = await buildIn({}, {}, dir);
  assert.equal(changed.cached, 2, 'the steps before the changed COPY are cached, the rest re-run');
  assert.equal(read(changed, '/copy'), 'v2');
  const noCache = await buildIn({}, { noCache: true }, dir);
  assert.equal(noCache.cached, 0);
});

test('ARG scoping: globals feed FROM, a stage sees only what it declares, --build-arg overrides', async () => {
  const b = await buildIn(
    {
      Containerfile: [
        'ARG BASE=busybox',
        'ARG VERSION=1',
        'FROM ${BASE}',
        'ARG VERSION',
        'ARG LOCAL=default',
        'RUN echo "v=$VERSION l=$LOCAL b=$BASE t=$TARGETARCH" > /args',
        'ARG TARGETARCH',
        'RUN echo "$TARGETARCH" > /arch',
      ].join('\n'),
    },
    { buildArgs: new Map([['LOCAL', 'override']]) },
  );
  assert.equal(read(b, '/args'), 'v=1 l=override b= t=\n');
  assert.ok((read(b, '/arch') ?? '').trim().length > 0);
});

test('--target builds only the stages the target needs', async () => {
  const b = await buildIn(
    { Containerfile: 'FROM busybox AS broken\nRUN exit 3\nFROM busybox AS good\nRUN echo ok > /ok\nFROM good AS final\nRUN exit 4' },
    { target: 'good' },
  );
  assert.equal(read(b, '/ok'), 'ok\n');
  assert.deepEqual(b.steps, ['FROM busybox AS good', 'RUN echo ok > /ok']);
});

test('a failing RUN names the file, line, command and exit code', async () => {
  await assert.rejects(
    buildIn({ Containerfile: 'FROM busybox\n\nRUN echo before && exit 7' }),
    (err: Error & { detail?: Record<string, unknown> }) => {
      assert.match(err.message, /^step 2\/2: Containerfile:3: RUN echo before && exit 7: the command .* exited with code 7$/);
      return true;
    },
  );
});

test('ADD extracts local tar archives and fetches URLs checked against --checksum', async () => {
  const srcDir = path.join(roots.dir, 'tar-src');
  writeTree(srcDir, { 'inside/file.txt': 'from tar' });
  const ctx = path.join(roots.dir, 'ctx-add');
  fs.mkdirSync(ctx, { recursive: true });
  const { execFileSync } = await import('node:child_process');
  execFileSync('tar', ['-czf', path.join(ctx, 'bundle.tar.gz'), '-C', srcDir, 'inside']);
  // xz and bzip2 too, as docker's builder extracts them.
  execFileSync('tar', ['-cJf', path.join(ctx, 'bundle.tar.xz'), '-C', srcDir, 'inside']);
  execFileSync('tar', ['-cjf', path.join(ctx, 'bundle.tar.bz2'), '-C', srcDir, 'inside']);
  const body = 'downloaded\n';
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  try {
    const b = await buildIn(
      { Containerfile: `FROM scratch\nADD bundle.tar.gz /opt/\nADD bundle.tar.xz /xz/\nADD bundle.tar.bz2 /bz/\nADD --checksum=${sum} http://127.0.0.1:${port}/files/dl.txt /dl/` },
      {},
      ctx,
    );
    assert.equal(read(b, '/opt/inside/file.txt'), 'from tar');
    assert.equal(read(b, '/xz/inside/file.txt'), 'from tar');
    assert.equal(read(b, '/bz/inside/file.txt'), 'from tar');
    assert.equal(read(b, '/dl/dl.txt'), body);
    assert.equal(b.view.stat('/dl/dl.txt')!.mode & 0o777, 0o600);
    await assert.rejects(
      buildIn({ Containerfile: `FROM scratch\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/x /x` }),
      /Containerfile:2: .*--checksum says/,
    );
  } finally {
    server.close();
  }
});

test('hostile context: ../ sources are refused', async () => {
  const dir = path.join(roots.dir, 'ctx-dotdot');
  writeTree(path.join(roots.dir, 'outside-secret'), { 'secret.txt': 'secret' });
  await assert.rejects(buildIn({ Containerfile: 'FROM scratch\nCOPY ../outside-secret/secret.txt /s' }, {}, dir), /Containerfile:2: .*outside the build context/);
  await assert.rejects(buildIn({ Containerfile: 'FROM scratch\nCOPY a/../../x /s' }, {}, dir), /outside the build context/);
});

test('hostile context: a symlink to / resolves inside the context, never to the host', async () => {
  const dir = path.join(roots.dir, 'ctx-symlink');
  writeTree(dir, { 'etc/hostname': 'context-owned', 'data/x': 'x' });
  fs.symlinkSync('/', path.join(dir, 'root-link'));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'data/passwd-link'));
  // Through the link, /etc/passwd of the host is not reachable: only the context's etc/.
  await assert.rejects(buildIn({ Containerfile: 'FROM scratch\nCOPY root-link/etc/passwd /p' }, {}, dir), /no such file or directory in the build context/);
  const b = await buildIn({ Containerfile: 'FROM scratch\nCOPY root-link/etc/hostname /h\nCOPY data /data' }, {}, dir);
  assert.equal(read(b, '/h'), 'context-owned');
  // Symlinks inside a copied directory are copied as links, not followed.
  assert.ok(b.view.lstat('/data/passwd-link')?.st.isSymbolicLink());
  assert.equal(fs.readlinkSync(b.view.lstat('/data/passwd-link')!.host), '/etc/passwd');
});

test('berth build CLI: steps, -q with --iidfile, and a Containerfile on stdin', async () => {
  const ctx = path.join(roots.dir, 'ctx-cli');
  writeTree(ctx, { Containerfile: 'FROM busybox\nRUN echo streamed-output\nCMD ["sh"]\n' });
  const r = berth(roots, ['build', '-t', 'cli-app:1', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /STEP 1\/3: FROM busybox\nSTEP 2\/3: RUN echo streamed-output\nstreamed-output\n/);
  const iid = path.join(roots.dir, 'iid');
  const q = berth(roots, ['build', '-q', '--iidfile', iid, '-t', 'cli-app:1', ctx]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(fs.readFileSync(iid, 'utf8'), q.stdout.trim());
  const stdin = berth(roots, ['build', '-q', '-f', '-', ctx], { input: 'FROM busybox\nLABEL from=stdin\n' });
  assert.equal(stdin.code, 0, stdin.stderr);
  const fail = berth(roots, ['build', ctx, '-f', '-'], { input: 'FROM busybox\nRUN exit 5\n' });
  assert.equal(fail.code, 5);
  assert.match(fail.stderr, /Containerfile \(stdin\):2: RUN exit 5: the command .* exited with code 5/);
});

test('builder images: --from-builder assembles a source dir into a runnable app image', async () => {
  await buildIn(
    {
      Containerfile: [
        'FROM busybox',
        'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i',
        'COPY assemble run /usr/libexec/s2i/',
        'RUN chmod 755 /usr/libexec/s2i/* && mkdir -p /opt/app && chown 1000:1000 /opt/app',
        'USER 1000',
      ].join('\n'),
      assemble: '#!/bin/sh\nset -e\ncat /tmp/src/*.txt > /opt/app/bundle\necho "assembled as $(id -u) with MODE=$MODE" >> /opt/app/bundle\n',
      run: '#!/bin/sh\ncat /opt/app/bundle\n',
    },
    { tags: ['s2i-builder'] },
  );
  const src = path.join(roots.dir, 'app-src');
  writeTree(src, { 'a.txt': 'part a\n', 'b.txt': 'part b\n', '.s2i/environment': 'MODE=production\n' });
  const r = berth(roots, ['build', '--from-builder', 's2i-builder', '-t', 's2i-app', src]);
  assert.equal(r.code, 0, r.stderr);
  const rec = await store.resolveImage('s2i-app');
  const config = parseImageConfig(await store.content.readBlob(rec.config.digest));
  assert.deepEqual(config.config?.Cmd, ['/usr/libexec/s2i/run']);
  assert.equal(config.config?.User, '1000');
  assert.ok(config.config?.Env?.includes('MODE=production'));
  const view = new StackView(store, rec.layers.map((l) => l.chainID));
  assert.equal(view.read('/opt/app/bundle')?.toString(), 'part a\npart b\nassembled as 1000 with MODE=production\n');
  assert.equal(view.stat('/tmp/src/a.txt')?.uid, 1000);
});

test('--squash makes the added layers one, keeping the base layers and the file tree', async () => {
  const files = { Containerfile: 'FROM busybox\nRUN echo a > /a\nRUN echo b > /b && rm /a\nCOPY c /c\n', c: 'C' };
  const plain = await buildIn(files);
  const squashed = await buildIn(files, { squash: true });
  assert.equal(plain.rec.layers.length, 4);
  assert.equal(squashed.rec.layers.length, 2);
  assert.equal(squashed.rec.layers[0].diffID, plain.rec.layers[0].diffID);
  assert.equal(read(squashed, '/b'), 'b\n');
  assert.equal(read(squashed, '/c'), 'C');
  assert.equal(squashed.view.lstat('/a'), undefined);
  const nonEmpty = squashed.config.history!.filter((h) => !h.empty_layer);
  assert.equal(nonEmpty.length, 2);
});

test('a context tarball on stdin', async () => {
  const src = path.join(roots.dir, 'tar-ctx');
  writeTree(src, { Containerfile: 'FROM busybox\nCOPY hello /hello\n', hello: 'from a tarball' });
  const { execFileSync } = await import('node:child_process');
  const tar = execFileSync('tar', ['-C', src, '-cf', '-', '.']);
  const r = berth(roots, ['build', '-q', '-t', 'from-tar', '-'], { input: tar });
  assert.equal(r.code, 0, r.stderr);
  const rec = await store.resolveImage('from-tar');
  assert.equal(new StackView(store, rec.layers.map((l) => l.chainID)).read('/hello')?.toString(), 'from a tarball');
});

test('a build removes what a killed build left: mounted RUN rootfs, snapshots, temp dirs', async () => {
  const { spawnSync } = await import('node:child_process');
  const deadPid = spawnSync('true').pid!;
  const key = `build-${deadPid}-run-0123456789ab`;
  const rec = await store.resolveImage('busybox');
  const rootfs = path.join(roots.runroot, 'build', key, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  await services.driver.mount(await services.driver.prepare(key, rec.layers.map((l) => l.chainID)), rootfs);
  fs.mkdirSync(path.join(roots.runroot, 'build', `build-${deadPid}-tmp-0123456789ab`));
  await buildIn({ Containerfile: 'FROM busybox\nLABEL after=crash' });
  assert.ok(!fs.readFileSync('/proc/self/mounts', 'utf8').includes(rootfs), 'the stale rootfs is unmounted');
  assert.ok(!(await services.driver.list()).some((s) => s.key === key), 'the stale snapshot is removed');
  assert.deepEqual(fs.readdirSync(path.join(roots.runroot, 'build')).filter((n) => n.includes(`-${deadPid}-`)), []);
});

test('RUN sees the host resolv.conf and hosts; the files placed for it stay out of the layer', async () => {
  const b = await buildIn({ Containerfile: 'FROM busybox\nRUN cat /etc/resolv.conf /etc/hosts > /seen' });
  const expected = fs.readFileSync('/etc/resolv.conf', 'utf8') + fs.readFileSync('/etc/hosts', 'utf8');
  assert.equal(read(b, '/seen'), expected);
  assert.equal(b.view.lstat('/etc/resolv.conf'), undefined);
  assert.equal(b.view.lstat('/etc/hosts'), undefined);
});
