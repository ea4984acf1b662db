// A container's files from the host: diff, cp both ways (no escape through the container's
// symlinks), export, mount, and commit of its changes into an image that runs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { BERTH, berth, cleanupFixture, type EngineFixture, makeEngineFixture, makeImage, mountsUnder, ok } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

test('diff shows A, C and D after changes', async () => {
  await ok(fx, ['run', '--name', 'd1', fx.image, 'sh', '-c', 'echo new > /tmp/added; echo x >> /etc/passwd; rm /hello']);
  const lines = (await ok(fx, ['diff', 'd1'])).split('\n');
  assert.ok(lines.includes('A /tmp/added'), lines.join('\n'));
  assert.ok(lines.includes('C /etc/passwd'));
  assert.ok(lines.includes('C /etc'));
  assert.ok(lines.includes('D /hello'));
  assert.ok(!lines.some((l) => l.endsWith('/etc/hosts')), 'mount points are not changes');
  await ok(fx, ['rm', 'd1']);
  // /etc holding only the runtime's mount points is no change either (docker's diff has no
  // /etc for such a container: its init layer holds them).
  await ok(fx, ['run', '--name', 'd2', fx.image, 'sh', '-c', 'echo new > /tmp/added']);
  assert.deepEqual((await ok(fx, ['diff', 'd2'])).split('\n'), ['C /tmp', 'A /tmp/added']);
  await ok(fx, ['rm', 'd2']);
});

test('an image without /etc: the /etc made for the runtime\'s files is in no diff or commit; one of the user\'s there is C', async () => {
  // docker 28 / dockerd 20.10, an image of /bin alone: `docker diff` of a container that ran
  // `true` is empty and its commit's layer is empty; after `echo x > /etc/mine`: C /etc, A /etc/mine.
  const tar = path.join(fx.dir, 'no-etc.tar');
  execFileSync('tar', ['-C', path.join(fx.dir, 'tree'), '-cf', tar, 'bin']);
  await ok(fx, ['import', tar, 'test/no-etc:1']);
  await ok(fx, ['run', '--name', 'ne1', 'test/no-etc:1', 'true']);
  assert.equal(await ok(fx, ['diff', 'ne1']), '');
  await ok(fx, ['commit', 'ne1', 'test/no-etc:2']);
  assert.equal(await ok(fx, ['image', 'diff', 'test/no-etc:2']), '');
  await ok(fx, ['run', '--name', 'ne2', 'test/no-etc:1', 'sh', '-c', 'echo mine > /etc/mine']);
  assert.deepEqual((await ok(fx, ['diff', 'ne2'])).split('\n'), ['C /etc', 'A /etc/mine']);
  await ok(fx, ['commit', 'ne2', 'test/no-etc:3']);
  const layer = await ok(fx, ['image', 'diff', 'test/no-etc:3']);
  assert.ok(!/hosts|hostname|resolv|mtab|dockerenv|proc|sys|dev/.test(layer), layer);
  assert.equal(await ok(fx, ['run', '--rm', 'test/no-etc:3', 'cat', '/etc/mine']), 'mine');
  await ok(fx, ['rm', 'ne1', 'ne2']);
  await ok(fx, ['rmi', 'test/no-etc:1', 'test/no-etc:2', 'test/no-etc:3']);
});

test("docker's init entries: /.dockerenv and /etc/mtab in every root, in no diff or commit; nothing written through the image's links", async () => {
  // dockerd 20.10: `ls -la /` has an empty -rwxr-xr-x /.dockerenv, /etc/mtab -> /proc/mounts;
  // docker diff shows neither (its init layer holds them). A created container has them too.
  await ok(fx, ['create', '--name', 'init1', fx.image, 'true']);
  const exported = execFileSync('tar', ['-tvf', '-'], { input: execFileSync(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'export', 'init1'], { maxBuffer: 64 << 20 }), maxBuffer: 64 << 20, encoding: 'utf8' });
  assert.match(exported, /^-rwxr-xr-x .* 0 .* \.dockerenv$/m);
  assert.match(exported, /^l.* etc\/mtab -> \/proc\/mounts$/m);
  assert.equal(await ok(fx, ['start', '-a', 'init1']), '');
  assert.equal(await ok(fx, ['diff', 'init1']), '', 'no change of the user');
  // Nor any byte of its writable layer (docker's SizeRw leaves its init layer out).
  assert.equal(await ok(fx, ['inspect', '-s', '-f', '{{.SizeRw}}', 'init1']), '0');
  await ok(fx, ['rm', 'init1']);
  const inside = await ok(fx, ['run', '--rm', fx.image, 'sh', '-c', 'stat -c "%A %s" /.dockerenv; readlink /etc/mtab; grep -c " / overlay " /etc/mtab']);
  assert.equal(inside, '-rwxr-xr-x 0\n/proc/mounts\n1');
  // An image of its own /etc/mtab (a file) and /etc, in a second layer: the container sees the
  // link (docker's init layer is above the image), a commit keeps the image's file.
  const own = path.join(fx.dir, 'own-mtab');
  await fs.mkdir(path.join(own, 'etc'), { recursive: true });
  await fs.writeFile(path.join(own, 'etc', 'mtab'), 'the image own\n');
  await makeImage(fx, 'test/own-mtab:1', { Cmd: ['sh'] }, own);
  await ok(fx, ['run', '--name', 'init2', 'test/own-mtab:1', 'sh', '-c', 'readlink /etc/mtab; echo x > /tmp/x']);
  assert.deepEqual((await ok(fx, ['diff', 'init2'])).split('\n'), ['C /tmp', 'A /tmp/x']);
  await ok(fx, ['commit', 'init2', 'test/own-mtab:2']);
  assert.equal(await ok(fx, ['run', '--rm', 'test/own-mtab:2', 'sh', '-c', 'readlink /etc/mtab; ls -a / | grep -c dockerenv']), '/proc/mounts\n1');
  const layer = (await ok(fx, ['image', 'diff', 'test/own-mtab:2'])).split('\n');
  assert.ok(!layer.some((l) => /dockerenv|mtab/.test(l)), layer.join(', '));
  await ok(fx, ['rm', 'init2']);
  // Hostile: /etc a link out of the root, /.dockerenv a link to a host file. Nothing is
  // written through either; the container still starts.
  const hostile = path.join(fx.dir, 'hostile-init');
  const victim = path.join(fx.dir, 'victim');
  await fs.mkdir(victim);
  await fs.mkdir(hostile);
  await fs.symlink(victim, path.join(hostile, 'etc'));
  await fs.symlink(path.join(victim, 'env'), path.join(hostile, '.dockerenv'));
  await makeImage(fx, 'test/hostile-init:1', { Cmd: ['true'] }, hostile);
  await ok(fx, ['run', '--rm', 'test/hostile-init:1']);
  assert.deepEqual(await fs.readdir(victim), [], 'nothing made through the links');
  assert.deepEqual(await mountsUnder(fx), []);
});

test('commit with -c, -m, -a: the new image runs with the changes and config', async () => {
  await ok(fx, ['run', '--name', 'c1', fx.image, 'sh', '-c', 'echo committed > /data.txt; rm /hello']);
  const imageId = await ok(fx, ['commit', '-c', 'CMD ["cat", "/data.txt"]', '-c', 'ENV COMMITTED=yes', '-m', 'my message', '-a', 'me', 'c1', 'test/committed:v1']);
  assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await ok(fx, ['run', '--rm', 'test/committed:v1']), 'committed');
  assert.equal(await ok(fx, ['run', '--rm', 'test/committed:v1', 'sh', '-c', 'echo $COMMITTED; ls /hello 2>/dev/null || echo gone']), 'yes\ngone');
  // The runtime's mount points (/etc/hosts and friends, which runc made as empty files in
  // the container layer) are not the user's changes and stay out of the committed layer.
  const layerChanges = (await ok(fx, ['image', 'diff', 'test/committed:v1'])).split('\n');
  assert.ok(layerChanges.some((l) => l.includes('/data.txt')), layerChanges.join('\n'));
  for (const p of ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname']) assert.ok(!layerChanges.some((l) => l.includes(p)), `${p} in ${layerChanges.join('\n')}`);
  const inspect = JSON.parse(await ok(fx, ['inspect', 'test/committed:v1'])) as { Author?: string; Comment?: string; Config?: { Cmd?: string[] } }[];
  assert.deepEqual(inspect[0].Config?.Cmd, ['cat', '/data.txt']);
  // docker's commit: the message is the image's comment, the container's command its history
  // line and ContainerConfig, and the container's own settings (-e, -l, --entrypoint '') carry.
  assert.equal(inspect[0].Comment, 'my message');
  assert.equal(await ok(fx, ['history', '--format', '{{.CreatedBy}}', 'test/committed:v1']).then((h) => h.split('\n')[0]), 'sh -c echo committed > /data.txt; rm /hello');
  await ok(fx, ['run', '--name', 'c3', '-e', 'RUN_ENV=1', '-l', 'run.label=1', '--entrypoint', '', fx.image, 'true']);
  await ok(fx, ['commit', 'c3', 'test/committed:v3']);
  const v3 = JSON.parse(await ok(fx, ['image', 'inspect', 'test/committed:v3']))[0] as { Config: { Env: string[]; Labels: Record<string, string>; Entrypoint?: string[] | null; Cmd: string[] }; ContainerConfig: { Cmd: string[] } };
  assert.ok(v3.Config.Env.includes('RUN_ENV=1'), JSON.stringify(v3.Config.Env));
  assert.equal(v3.Config.Labels['run.label'], '1');
  assert.equal(v3.Config.Entrypoint ?? null, null);
  assert.deepEqual(v3.Config.Cmd, ['true']);
  assert.deepEqual(v3.ContainerConfig.Cmd, ['true']);
  await ok(fx, ['rm', 'c3']);
  await ok(fx, ['rmi', 'test/committed:v3']);
  // A committed container's image, committed again from a running container (paused while it is read).
  const id = await ok(fx, ['run', '-d', 'test/committed:v1', 'sh', '-c', 'echo two > /two.txt; sleep 100']);
  await new Promise((r) => setTimeout(r, 300));
  await ok(fx, ['commit', id, 'test/committed:v2']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', id]), 'running', 'unpaused after commit');
  assert.equal(await ok(fx, ['run', '--rm', 'test/committed:v2', 'cat', '/data.txt', '/two.txt']), 'committed\ntwo');
  await ok(fx, ['rm', '-f', id, 'c1']);
});

test('commit -c takes docker\'s config instructions as a Dockerfile\'s; a bad one leaves nothing', async () => {
  // As docker 20.10's commit of the same container: $VARIABLES from the container's Env,
  // WORKDIR relative to the last, ONBUILD and HEALTHCHECK, ENTRYPOINT clearing the Cmd.
  const id = await ok(fx, ['run', '-d', '--name', 'oc1', '-e', 'FOO=bar', fx.image, 'sleep', '100']);
  await ok(fx, ['commit', '-c', 'ENV A=$FOO:x B="a b"', '-c', 'WORKDIR /a', '-c', 'WORKDIR b', '-c', 'ONBUILD RUN echo triggered > /onbuild.txt', '-c', 'HEALTHCHECK --interval=5s CMD true', '-c', 'ENTRYPOINT ["cat"]', 'oc1', 'test/onbuild:1']);
  const c = JSON.parse(await ok(fx, ['image', 'inspect', '-f', '{{json .Config}}', 'test/onbuild:1'])) as { Env: string[]; WorkingDir: string; OnBuild: string[]; Healthcheck: unknown; Entrypoint: string[]; Cmd: unknown };
  assert.deepEqual(c.Env.slice(-3), ['FOO=bar', 'A=bar:x', 'B=a b']);
  assert.equal(c.WorkingDir, '/a/b');
  assert.deepEqual(c.OnBuild, ['RUN echo triggered > /onbuild.txt']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
  assert.deepEqual(c.Entrypoint, ['cat']);
  assert.equal(c.Cmd ?? null, null);
  // The trigger runs in a build FROM the committed image, and its result has no triggers left.
  const ctxDir = path.join(fx.dir, 'onbuild-ctx');
  await fs.mkdir(ctxDir, { recursive: true });
  await fs.writeFile(path.join(ctxDir, 'Containerfile'), 'FROM test/onbuild:1\n');
  await ok(fx, ['build', '-q', '-t', 'test/onbuild:child', ctxDir]);
  assert.equal(await ok(fx, ['run', '--rm', 'test/onbuild:child', '/onbuild.txt']), 'triggered');
  // A container of an image with triggers commits without them (docker's commit: they are a build's).
  await ok(fx, ['create', '--name', 'oc2', 'test/onbuild:1', '/etc/hostname']);
  await ok(fx, ['commit', 'oc2', 'test/onbuild:2']);
  assert.equal(await ok(fx, ['image', 'inspect', '-f', '{{json .Config.OnBuild}}', 'test/onbuild:2']), 'null');
  // What commit does not take fails before the container is paused or any layer is written.
  const images = await ok(fx, ['images', '-a', '-q', '--no-trunc']);
  for (const [change, message] of [
    // dockerd's words: 'Error response from daemon: run is not a valid change command'.
    ['RUN rm -rf /', /^Error: run is not a valid change command\n$/],
    ['SHELL ["/bin/bash", "-c"]', /^Error: shell is not a valid change command\n$/],
    ['ENV', /ENV: requires at least one argument/],
    ['ONBUILD FROM x', /FROM is not allowed as an ONBUILD trigger/],
    ['EXPOSE 99999', /invalid --change "EXPOSE 99999"/],
  ] as const) {
    const r = await berth(fx, ['commit', '-c', change, id, 'test/onbuild:bad']);
    assert.equal(r.code, 1, change);
    assert.match(r.stderr, message);
  }
  // A reference docker's client refuses, in its words, before the container is looked up.
  for (const [ref, message] of [
    ['Bad/Name', 'invalid reference format: repository name (Name) must be lowercase'],
    ['x:y:z', 'invalid reference format'],
    [`x@sha256:${'0'.repeat(64)}`, 'refusing to create a tag with a digest reference'],
  ]) {
    for (const container of [id, 'no-such-container']) {
      const r = await berth(fx, ['commit', container, ref]);
      assert.deepEqual([r.code, r.stderr], [1, `Error: ${message}\n`], ref);
    }
  }
  assert.equal(await ok(fx, ['images', '-a', '-q', '--no-trunc']), images);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', id]), 'running');
  await ok(fx, ['rm', '-f', id, 'oc2']);
  await ok(fx, ['rmi', 'test/onbuild:child', 'test/onbuild:1', 'test/onbuild:2']);
});

test('cp from and to a container; the container symlinks cannot point the copy outside', async () => {
  const id = await ok(fx, ['create', '--name', 'cp1', fx.image, 'true']);
  const hostDir = path.join(fx.dir, 'cp');
  await fs.mkdir(path.join(hostDir, 'tree/sub'), { recursive: true });
  await fs.writeFile(path.join(hostDir, 'tree/sub/f'), 'file in tree\n');
  await fs.writeFile(path.join(hostDir, 'one'), 'one\n');
  await ok(fx, ['cp', path.join(hostDir, 'one'), 'cp1:/tmp/one']);
  // -q as docker 24's: no progress (berth prints none either way).
  await ok(fx, ['cp', '-q', path.join(hostDir, 'tree'), 'cp1:/tmp']);
  await ok(fx, ['cp', 'cp1:/tmp/tree', path.join(hostDir, 'back')]);
  assert.equal(await fs.readFile(path.join(hostDir, 'back/sub/f'), 'utf8'), 'file in tree\n');
  // docker cp's rules for the destination and the source, in its words (each case side by side
  // with docker 28's CLI and dockerd 20.10): a file to a missing dir ("DIR/") or through a file
  // as if a dir, a dir onto a file, a path not there: refused, 1, nothing copied.
  for (const [src, dest, message] of [
    [path.join(hostDir, 'one'), 'cp1:/nodir/', 'no such directory'],
    [path.join(hostDir, 'one'), 'cp1:/tmp/one/', 'no such directory'],
    [path.join(hostDir, 'tree'), 'cp1:/tmp/one', 'cannot copy directory'],
    [path.join(hostDir, 'one'), 'cp1:/nodir/one', 'Could not find the file /nodir in container cp1'],
    [path.join(hostDir, 'one'), 'cp1:/tmp/one/two', 'extraction point is not a directory'],
    [path.join(hostDir, 'none'), 'cp1:/tmp', `lstat ${path.join(hostDir, 'none')}: no such file or directory`],
    ['cp1:/tmp/one', path.join(hostDir, 'nodir') + '/', 'no such directory'],
    ['cp1:/tmp/tree', path.join(hostDir, 'one'), 'cannot copy directory'],
    ['cp1:/tmp/one', path.join(hostDir, 'one') + '/', `stat ${path.join(hostDir, 'one')}/: not a directory`],
    ['cp1:/tmp/one', path.join(hostDir, 'nodir', 'one'), `invalid output path: directory "${path.join(hostDir, 'nodir')}" does not exist`],
    ['cp1:/tmp/none', path.join(hostDir, 'none'), 'Could not find the file /tmp/none in container cp1'],
    ['cp1:/tmp/none', '-', 'Could not find the file /tmp/none in container cp1'],
    // A source written as a directory ("FILE/", "FILE/.") that is a file: docker's lstat error.
    ['cp1:/tmp/one/', path.join(hostDir, 'slash'), 'lstat /tmp/one/: not a directory'],
    ['cp1:/tmp/one/.', path.join(hostDir, 'slash'), 'lstat /tmp/one/.: not a directory'],
    ['cp1:/tmp/one/', '-', 'lstat /tmp/one/: not a directory'],
  ]) {
    const r = await berth(fx, ['cp', src, dest]);
    assert.equal(r.code, 1, `${src} ${dest}`);
    assert.equal(r.stderr, `Error: ${message}\n`, `${src} ${dest}`);
  }
  await assert.rejects(fs.lstat(path.join(hostDir, 'slash')));
  assert.equal(await fs.readFile(path.join(hostDir, 'one'), 'utf8'), 'one\n');
  // Owners: a copy keeps its ids (dockerd 20.10 gave 1234:5678 for a host file of theirs, and
  // in a directory); with -a it belongs to the container's --user (docker looks that user up in
  // the host's /etc/passwd, berth in the container's: uid 4321 is in neither, so gid 0).
  const owned = path.join(hostDir, 'owned');
  await fs.mkdir(owned);
  await fs.writeFile(path.join(owned, 'f'), 'theirs\n', { mode: 0o640 });
  await fs.chown(path.join(owned, 'f'), 1234, 5678);
  await ok(fx, ['create', '--name', 'cp-user', '-u', '4321', fx.image, 'true']);
  await ok(fx, ['cp', path.join(owned, 'f'), 'cp-user:/tmp/kept']);
  await ok(fx, ['cp', '-a', path.join(owned, 'f'), 'cp-user:/tmp/archived']);
  await ok(fx, ['cp', owned, 'cp-user:/tmp/dir']);
  const ownersOf = async (p: string) => {
    const mounted = await ok(fx, ['mount', 'cp-user']);
    const st = await fs.lstat(path.join(mounted, p));
    await ok(fx, ['container', 'unmount', 'cp-user']);
    return `${st.uid}:${st.gid} ${(st.mode & 0o777).toString(8)}`;
  };
  assert.equal(await ownersOf('tmp/kept'), '1234:5678 640');
  assert.equal(await ownersOf('tmp/archived'), '4321:0 640');
  assert.equal(await ownersOf('tmp/dir/f'), '1234:5678 640');
  await ok(fx, ['rm', 'cp-user']);
  // "DIR/." copies the contents; a missing DEST of a directory is made.
  await ok(fx, ['cp', `${path.join(hostDir, 'tree')}/.`, 'cp1:/contents']);
  await ok(fx, ['cp', 'cp1:/contents/.', path.join(hostDir, 'contents-back')]);
  assert.equal(await fs.readFile(path.join(hostDir, 'contents-back/sub/f'), 'utf8'), 'file in tree\n');
  // To "-": a tar on stdout named after the source's last component, as docker writes it.
  const cpTar = (src: string) => execFileSync('tar', ['-tvf', '-'], { input: execFileSync(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'cp', src, '-']), encoding: 'utf8' });
  assert.match(cpTar('cp1:/tmp/tree'), /^d.* tree\/\nd.* tree\/sub\/\n-.* 13 .* tree\/sub\/f\n$/);
  assert.match(cpTar('cp1:/tmp/tree/.'), /^d.* \.\/\nd.* \.\/sub\//);
  // -L through a link: the target's name, as docker's CLI asks its daemon for the target.
  const m1 = await ok(fx, ['mount', 'cp1']);
  await fs.symlink('tree', path.join(m1, 'tmp', 'tree-link'));
  await ok(fx, ['container', 'unmount', 'cp1']);
  const followed = execFileSync('tar', ['-tf', '-'], { input: execFileSync(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'cp', '-L', 'cp1:/tmp/tree-link', '-']), encoding: 'utf8' });
  assert.equal(followed, 'tree/\ntree/sub/\ntree/sub/f\n');
  assert.match(cpTar('cp1:/tmp/tree-link'), /^l.* tree-link -> tree\n$/);
  // From "-": a tar on stdin unpacked into a directory; names that climb stay inside it, and
  // `.wh.` names are plain files (this is an archive, not a layer).
  const tarDir = path.join(fx.dir, 'cp-tar');
  await fs.mkdir(path.join(tarDir, 'in/deeper'), { recursive: true });
  await fs.writeFile(path.join(tarDir, 'in/deeper/g'), 'from stdin\n');
  await fs.writeFile(path.join(tarDir, 'in/.wh.keep'), 'not a whiteout\n');
  const stdinTar = execFileSync('tar', ['-C', tarDir, '-cf', '-', 'in']);
  const fromStdin = (dest: string, input: Buffer) => spawnSync(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'cp', '-', dest], { input, encoding: 'utf8' });
  assert.equal(fromStdin('cp1:/tmp', stdinTar).status, 0);
  const unpacked = cpTar('cp1:/tmp/in');
  assert.match(unpacked, / in\/deeper\/g\n/);
  assert.match(unpacked, / in\/\.wh\.keep\n/);
  const notDir = fromStdin('cp1:/etc/passwd', stdinTar);
  assert.equal(notDir.status, 1);
  assert.equal(notDir.stderr, 'Error: destination "cp1:/etc/passwd" must be a directory\n');
  const climbing = execFileSync('tar', ['-C', tarDir, '-cf', '-', '--absolute-names', `--transform=s,^in/deeper/g,../../../../${path.basename(fx.dir)}-escaped,`, 'in/deeper/g']);
  const escaped = fromStdin('cp1:/tmp', climbing);
  assert.notEqual(escaped.status, 0, escaped.stderr);
  assert.match(escaped.stderr, /cannot apply layer|escape|outside|\.\./);
  await assert.rejects(fs.access(path.join(path.dirname(fx.dir), `${path.basename(fx.dir)}-escaped`)));
  await ok(fx, ['cp', 'cp1:/etc/passwd', path.join(hostDir, 'passwd')]);
  assert.match(await fs.readFile(path.join(hostDir, 'passwd'), 'utf8'), /^root:x:0:0/);

  // Hostile: symlinks in the container to host paths resolve inside its rootfs.
  const outside = path.join(fx.dir, 'outside');
  await fs.mkdir(outside);
  await ok(fx, ['start', '-a', id]);
  const mounted = await ok(fx, ['mount', 'cp1']);
  await fs.symlink(outside, path.join(mounted, 'evil-dir'));
  await fs.symlink('/etc/shadow', path.join(mounted, 'evil-file'));
  await ok(fx, ['container', 'unmount', 'cp1']);
  // The link's target does not exist inside the rootfs: the copy fails rather than follow it out.
  const through = await berth(fx, ['cp', path.join(hostDir, 'one'), 'cp1:/evil-dir/written']);
  assert.notEqual(through.code, 0);
  assert.deepEqual(await fs.readdir(outside), [], 'nothing written through the symlink on the host');
  // Followed (-L), the link resolves inside the rootfs, where it names nothing.
  const r = await berth(fx, ['cp', '-L', 'cp1:/evil-file', path.join(hostDir, 'shadow')]);
  assert.notEqual(r.code, 0, 'the host /etc/shadow is not reachable');
  // docker names the link's target, as its CLI asks for that once it has read the link.
  assert.equal(r.stderr, 'Error: Could not find the file /etc/shadow in container cp1\n');
  await assert.rejects(fs.lstat(path.join(hostDir, 'shadow')));
  // Not followed (docker's default), the link itself is copied: no byte of the host file is read.
  await ok(fx, ['cp', 'cp1:/evil-file', path.join(hostDir, 'shadow-link')]);
  assert.equal(await fs.readlink(path.join(hostDir, 'shadow-link')), '/etc/shadow');
  const tarred = execFileSync(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'cp', 'cp1:/evil-file', '-']);
  assert.match(execFileSync('tar', ['-tvf', '-'], { input: tarred, encoding: 'utf8' }), /^l.* evil-file -> \/etc\/shadow\n$/);
  // A relative link that climbs with ".." stops at the container's root.
  const m2 = await ok(fx, ['mount', 'cp1']);
  await fs.symlink('../../../../../../../../etc', path.join(m2, 'climb'));
  await ok(fx, ['container', 'unmount', 'cp1']);
  await ok(fx, ['cp', path.join(hostDir, 'one'), 'cp1:/climb/berth-cp-test']);
  await assert.rejects(fs.access('/etc/berth-cp-test'), 'not in the host /etc');
  await ok(fx, ['cp', 'cp1:/etc/berth-cp-test', path.join(hostDir, 'climbed')]);
  assert.equal(await fs.readFile(path.join(hostDir, 'climbed'), 'utf8'), 'one\n');
  await ok(fx, ['rm', 'cp1']);
  assert.deepEqual(await mountsUnder(fx), []);
});

test('export writes the merged filesystem as a tar; mount shows the rootfs', async () => {
  await ok(fx, ['run', '--name', 'x1', fx.image, 'sh', '-c', 'echo exported > /marker']);
  const tar = path.join(fx.dir, 'x1.tar');
  await ok(fx, ['export', '-o', tar, 'x1']);
  const names = execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).split('\n');
  assert.ok(names.includes('marker') || names.includes('./marker'), names.slice(0, 10).join(' '));
  assert.ok(names.some((n) => n.replace(/^\.\//, '') === 'bin/busybox'));
  // docker CLI 28's -o: a file of mode 0600 (written beside, then renamed: an existing file is
  // replaced whole).
  assert.equal((await fs.stat(tar)).mode & 0o777, 0o600);
  // docker's errors, checked before the container: an -o whose directory is missing or is a
  // file, an -o that is no regular file; a container that is not there leaves an existing -o
  // file as it was, and no file where there was none.
  await fs.symlink(tar, path.join(fx.dir, 'link.tar'));
  for (const [output, why] of [
    [path.join(fx.dir, 'no-such-dir', 'x.tar'), `invalid output path: stat ${path.join(fx.dir, 'no-such-dir')}: no such file or directory`],
    [path.join(tar, 'x.tar'), `invalid output path: stat ${tar}: not a directory`],
    [fx.dir, 'cannot write to a directory'],
    [path.join(fx.dir, 'link.tar'), 'cannot write to a symbolic link directly'],
  ]) {
    const bad = await berth(fx, ['export', '-o', output, 'x1']);
    assert.deepEqual([bad.code, bad.stderr], [1, `Error: failed to export container: ${why}\n`]);
  }
  const kept = path.join(fx.dir, 'kept.tar');
  await fs.writeFile(kept, 'mine');
  assert.equal((await berth(fx, ['export', '-o', kept, 'no-such-container'])).code, 1);
  assert.equal(await fs.readFile(kept, 'utf8'), 'mine');
  assert.equal((await berth(fx, ['export', '-o', path.join(fx.dir, 'none.tar'), 'no-such-container'])).code, 1);
  assert.deepEqual((await fs.readdir(fx.dir)).filter((n) => n.startsWith('.tmp-') || n === 'none.tar'), []);
  // To a terminal: refused in docker's words.
  const term = spawnSync('script', ['-qec', `${process.execPath} ${BERTH} --root ${fx.root} --runroot ${fx.runroot} export x1; echo rc=$?`, '/dev/null'], { encoding: 'utf8' });
  assert.match(term.stdout, /^Error: cowardly refusing to save to a terminal\. Use the -o flag or redirect\r?\nrc=1/m);
  const mounted = await ok(fx, ['mount', 'x1']);
  assert.equal(await fs.readFile(path.join(mounted, 'marker'), 'utf8'), 'exported\n');
  assert.match(await ok(fx, ['mount']), /x1|[0-9a-f]{12}/);
  await ok(fx, ['container', 'unmount', 'x1']);
  await ok(fx, ['rm', 'x1']);
  assert.deepEqual(await mountsUnder(fx), []);
});

test('under the vfs driver (a copy, no overlay): run, diff from a tree comparison, commit then run', async () => {
  const vfs = await makeEngineFixture();
  const env = { BERTH_STORAGE_DRIVER: 'vfs' };
  try {
    await ok(vfs, ['run', '--name', 'v1', vfs.image, 'sh', '-c', 'echo new > /tmp/added; echo x >> /etc/passwd; rm /hello'], { env });
    const lines = (await ok(vfs, ['diff', 'v1'], { env })).split('\n');
    for (const l of ['A /tmp/added', 'C /etc/passwd', 'C /etc', 'D /hello']) assert.ok(lines.includes(l), `${l} in ${lines.join(', ')}`);
    // inspect shows vfs's (empty) driver data without merging the image into a temp tree.
    assert.equal(await ok(vfs, ['inspect', '-f', '{{json .GraphDriver.Data}}', 'v1'], { env }).then((d) => Object.keys(JSON.parse(d)).join()), 'MergedDir');
    assert.deepEqual((await fs.readdir(path.join(vfs.root, 'snapshots'))).filter((n) => n.startsWith('.tmp-')), []);
    await ok(vfs, ['commit', 'v1', 'test/vfs:1'], { env });
    assert.equal(await ok(vfs, ['run', '--rm', 'test/vfs:1', 'sh', '-c', 'cat /tmp/added; ls /hello 2>/dev/null || echo gone'], { env }), 'new\ngone');
    await ok(vfs, ['rm', 'v1'], { env });
    assert.deepEqual(await mountsUnder(vfs), []);
  } finally {
    await cleanupFixture(vfs);
  }
});
