// import, save and load end to end: a rootfs tarball becomes a base image; docker-archive and
// oci-archive round trips through berth, podman and skopeo, by file and through a pipe.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { run } from './client-helpers.js';
import { BERTH as BERTH_BIN } from './engine-fixture.js';
import { type Sandbox, sandbox } from './images-helpers.js';

let box: Sandbox;
let other: Sandbox;
let podman: (...args: string[]) => Promise<string>;
let rootfsTar: string;

before(async () => {
  box = await sandbox('berth-images-archive-');
  other = await sandbox('berth-images-archive2-');
  const src = path.join(box.dir, 'rootfs');
  await fs.mkdir(path.join(src, 'bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(src, 'bin', 'busybox'));
  await fs.symlink('busybox', path.join(src, 'bin', 'sh'));
  await fs.mkdir(path.join(src, 'etc'));
  await fs.writeFile(path.join(src, 'etc', 'motd'), 'imported\n');
  rootfsTar = path.join(box.dir, 'rootfs.tar.gz');
  await run('tar', ['-C', src, '-czf', rootfsTar, '.']);
  const penv = { ...process.env, CONTAINERS_REGISTRIES_CONF: path.join(box.dir, 'registries.conf'), TMPDIR: box.dir, HOME: path.join(box.dir, 'home') };
  const base = ['--root', path.join(box.dir, 'podman-root'), '--runroot', path.join(box.dir, 'podman-run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  podman = async (...args: string[]) => (await run('podman', [...base, ...args], { env: penv, maxBuffer: 1 << 26 })).stdout;
});

after(async () => {
  await podman?.('rmi', '-a', '-f').catch(() => {});
  await box?.done();
  await other?.done();
});

test('import makes a base image with no parent layer, with --change and --message', async () => {
  const r = await box.berth(['import', '--change', 'CMD ["/bin/sh"]', '--change', 'ENV A=1', '--message', 'from a tarball', rootfsTar, 'imported/base:1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
  const [doc] = JSON.parse((await box.berth(['image', 'inspect', 'imported/base:1'])).stdout);
  assert.equal(doc.Id, r.stdout.trim());
  // dockerd's order (types.ImageInspect): Created after Comment, before Container.
  assert.deepEqual(Object.keys(doc).slice(0, 8), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig']);
  assert.deepEqual(doc.Config.Cmd, ['/bin/sh']);
  assert.deepEqual(doc.Config.Env, ['A=1']);
  // docker's Config: every field of its struct, the unset ones zero ("", false, null).
  assert.deepEqual({ ...doc.Config, Cmd: null, Env: null }, { Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null });
  assert.equal(doc.ContainerConfig.Tty, false);
  assert.equal(doc.RootFS.Layers.length, 1);
  const tree = JSON.parse((await box.berth(['image', 'tree', '--format', 'json'])).stdout);
  assert.equal(tree.length, 1);
  assert.deepEqual(tree[0].tags, ['docker.io/imported/base:1']);
  assert.equal(tree[0].children.length, 0);
  const hist = await box.berth(['history', '--format', '{{.CreatedBy}}|{{.Comment}}', 'imported/base:1']);
  assert.equal(hist.stdout, 'berth import|from a tarball\n');
  const diff = await box.berth(['image', 'diff', 'imported/base:1']);
  assert.match(diff.stdout, /^A \/bin\nA \/bin\/busybox \S+\nA \/bin\/sh \S+\nA \/etc\nA \/etc\/motd 9B\n$/);
});

test('save to docker-archive: podman loads it and skopeo reads it; berth loads it back with the same ID', async () => {
  const file = path.join(box.dir, 'saved.tar');
  let r = await box.berth(['save', '-o', file, 'imported/base:1']);
  assert.equal(r.code, 0, r.stderr);
  const id = JSON.parse((await box.berth(['image', 'inspect', 'imported/base:1'])).stdout)[0].Id;
  const inspect = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${file}`])).stdout);
  assert.equal(inspect.Layers.length, 1);
  const loaded = await podman('load', '-i', file);
  assert.match(loaded, /imported\/base:1/);
  assert.equal((await podman('image', 'inspect', '--format', '{{.Id}}', 'imported/base:1')).trim(), id.slice(7));
  r = await other.berth(['load', '-i', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: imported/base:1\n');
  const again = JSON.parse((await other.berth(['image', 'inspect', 'imported/base:1'])).stdout)[0];
  assert.equal(again.Id, id);
  await other.berth(['rmi', '-a']);
  // Saved by its ID: no name in the archive (dockerd 20.10's RepoTags null), and its load says so.
  const byId = path.join(box.dir, 'saved-by-id.tar');
  r = await box.berth(['save', '-o', byId, id.slice(7, 19)]);
  assert.equal(r.code, 0, r.stderr);
  const manifest = JSON.parse((await run('tar', ['-xOf', byId, 'manifest.json'])).stdout);
  assert.equal(manifest[0].RepoTags, null);
  r = await other.berth(['load', '-i', byId]);
  assert.equal(r.stdout, `Loaded image ID: ${id}\n`);
  // A name the load takes from another image: docker's words for it, once.
  r = await other.berth(['import', rootfsTar, 'other/image:1']);
  const otherId = r.stdout.trim();
  r = await other.berth(['tag', 'other/image:1', 'imported/base:1']);
  assert.equal(r.code, 0, r.stderr);
  r = await other.berth(['load', '-i', file]);
  assert.equal(r.stdout, `The image imported/base:1 already exists, renaming the old one with ID ${otherId} to empty string\nLoaded image: imported/base:1\n`);
  r = await other.berth(['load', '-i', file]);
  assert.equal(r.stdout, 'Loaded image: imported/base:1\n');
  await other.berth(['rmi', '-af']);
});

test('history -H=false: the time itself under CREATED AT, and the size in bytes, as docker prints them', async () => {
  // docker CLI 28: 'IMAGE          CREATED AT             CREATED BY ...' and
  // '388b55c6b28c   2026-12-05T04:07:12Z   ...   1982298'; berth kept the header CREATED and
  // printed the config's time as stored, milliseconds and all.
  const [doc] = JSON.parse((await box.berth(['image', 'inspect', 'imported/base:1'])).stdout);
  const when = `${new Date(doc.Created).toISOString().slice(0, 19)}Z`;
  const r = await box.berth(['history', '-H=false', 'imported/base:1'], { env: { ...box.env, TZ: 'UTC' } });
  assert.equal(r.code, 0, r.stderr);
  const [head, row] = r.stdout.split('\n');
  assert.match(head, /^IMAGE {10}CREATED AT {13}CREATED BY {5}SIZE {6}COMMENT$/);
  assert.equal(row.split(/ {3,}/).slice(0, 4).join('|'), `${doc.Id.slice(7, 19)}|${when}|berth import|${doc.Size}`);
  const since = await box.berth(['history', '--human=false', '--format', '{{.CreatedSince}}', 'imported/base:1']);
  assert.equal(since.stdout, `${when}\n`);
});

test("images --filter: dockerd's words for what it refuses, the CLI's for no '='; VirtualSize to four digits", async () => {
  // dockerd 20.10 under docker CLI 28: 'Invalid filter 'bogus'', 'Invalid filter
  // 'dangling=[maybe]'', before= of a missing image 'No such image: ...' (1); --filter nokey is
  // the CLI's flag error (125). berth said 'invalid filter "bogus": known filters are ...',
  // 'invalid filter dangling=maybe: want true or false', 'invalid filter: no such image: ...', 1.
  for (const [args, code, stderr] of [
    [['--filter', 'bogus=1'], 1, "Error: Invalid filter 'bogus'\n"],
    [['--filter', 'dangling=maybe'], 1, "Error: Invalid filter 'dangling=[maybe]'\n"],
    [['--filter', 'before=imported/nope:1'], 1, 'Error: No such image: imported/nope:1\n'],
    [['--filter', 'nokey'], 125, 'invalid argument "nokey" for "-f, --filter" flag: bad format of filter (expected name=value)\n\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun \'berth images --help\' for more information\n'],
  ] as const) {
    const r = await box.berth(['images', ...args]);
    assert.deepEqual([r.code, r.stderr], [code, stderr], args.join(' '));
  }
  const r = await box.berth(['images', '--filter', 'before=imported/base:1', '--filter', 'since=imported/base:1', '-q']);
  assert.deepEqual([r.code, r.stdout], [0, '']);
  // docker: '{{.Size}} {{.VirtualSize}}' of a 1982298-byte image is '1.98MB 1.982MB'.
  const [doc] = JSON.parse((await box.berth(['image', 'inspect', 'imported/base:1'])).stdout);
  const sizes = await box.berth(['images', '--format', '{{.Size}} {{.VirtualSize}}', 'imported/base:1']);
  const mb = (digits: number) => `${Number((doc.Size / 1e6).toPrecision(digits))}MB`;
  assert.equal(sizes.stdout, `${mb(3)} ${mb(4)}\n`);
});

test("a missing image named as dockerd names it: the familiar name, ':latest' when no tag was given", async () => {
  // docker CLI 28 on dockerd 20.10: rmi/tag/history hi/nope say 'No such image: hi/nope:latest',
  // abcdef12 'No such image: abcdef12:latest', NAME@DIGEST and sha256:abcd as given; berth
  // said 'No such image: hi/nope'.
  const digest = `sha256:${'0'.repeat(64)}`;
  for (const [args, stderr] of [
    [['rmi', 'imported/nope', 'abcdef12', `imported/nope@${digest}`, 'sha256:abcd'], `Error: No such image: imported/nope:latest\nError: No such image: abcdef12:latest\nError: No such image: imported/nope@${digest}\nError: No such image: sha256:abcd\n`],
    [['tag', 'docker.io/library/nope', 'imported/x'], 'Error: No such image: nope:latest\n'],
    [['history', 'imported/nope:2'], 'Error: No such image: imported/nope:2\n'],
    [['image', 'inspect', 'imported/nope'], 'Error: No such image: imported/nope:latest\n'],
  ] as const) {
    const r = await box.berth([...args]);
    assert.deepEqual([r.code, r.stderr], [1, stderr], args.join(' '));
  }
});

test("tag: a target docker's CLI cannot parse, in its words, before the source is looked up", async () => {
  // docker CLI 28: 'docker tag hi/bb:1 Bad/Name' says 'Error parsing reference: "Bad/Name" is not
  // a valid repository/tag: invalid reference format: repository name (Name) must be lowercase'
  // (as it is, no 'Error: '), for a missing source too; berth said 'Error: invalid reference
  // format: "Bad/Name" is not a valid image name with a tag'.
  const digest = `sha256:${'0'.repeat(64)}`;
  for (const [source, target, stderr] of [
    ['imported/base:1', 'Bad/Name', 'Error parsing reference: "Bad/Name" is not a valid repository/tag: invalid reference format: repository name (Name) must be lowercase\n'],
    ['imported/base:1', 'imported/BAD', 'Error parsing reference: "imported/BAD" is not a valid repository/tag: invalid reference format: repository name (imported/BAD) must be lowercase\n'],
    ['imported/nope', 'x:y:z', 'Error parsing reference: "x:y:z" is not a valid repository/tag: invalid reference format\n'],
    ['imported/base:1', `imported/x@${digest}`, 'Error: refusing to create a tag with a digest reference\n'],
  ]) {
    const r = await box.berth(['tag', source, target]);
    assert.deepEqual([r.code, r.stderr], [1, stderr], target);
  }
  const r = await box.berth(['tag', 'imported/base:1', 'imported/ok:1', 'Bad/Name']);
  assert.equal(r.code, 1);
  assert.equal((await box.berth(['image', 'exists', 'imported/ok:1'])).code, 1, 'no target is tagged when one is refused');
});

test("import: -m is the image's comment too; a file or a reference it cannot take in docker's words", async () => {
  // dockerd's import writes the message as the config's comment ('docker image inspect -f
  // {{.Comment}}' says 'msg'; berth's was empty, the message only in the history). docker CLI 28:
  // 'import /nonexist' says 'open /nonexist: no such file or directory' (berth: 'cannot import
  // /nonexist: open ...'), 'import F Bad/Name' 'invalid reference format: repository name (Name)
  // must be lowercase' (berth: 'cannot import: invalid reference "Bad/Name"').
  let r = await box.berth(['import', '-m', 'msg', rootfsTar, 'imported/msg:1']);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['image', 'inspect', '-f', '{{.Comment}}', 'imported/msg:1']);
  assert.equal(r.stdout, 'msg\n');
  const missing = path.join(box.dir, 'no-such.tar');
  r = await box.berth(['import', missing, 'imported/x:1']);
  assert.deepEqual([r.code, r.stderr], [1, `Error: open ${missing}: no such file or directory\n`]);
  r = await box.berth(['import', rootfsTar, 'Bad/Name']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: invalid reference format: repository name (Name) must be lowercase\n']);
});

test("too few or too many arguments: docker CLI 28's words, printed as they are, exit 1; rmi -a may find none", async () => {
  // docker CLI 28.2.2: "docker: 'docker rmi' requires at least 1 argument" ... "See 'docker rmi
  // --help' ...", "docker: 'docker history' requires 1 argument", "docker: 'docker images'
  // requires at most 1 argument". berth said "Error: berth rmi: requires at least 1 argument",
  // "Error: 'berth history' requires 1 argument", "Error: 'berth images' accepts at most 1 argument".
  for (const [args, stderr] of [
    [['rmi'], "berth: 'berth rmi' requires at least 1 argument\n\nUsage:  berth rmi [OPTIONS] IMAGE [IMAGE...]\n\nSee 'berth rmi --help' for more information\n"],
    [['history'], "berth: 'berth history' requires 1 argument\n\nUsage:  berth history [OPTIONS] IMAGE\n\nRun 'berth history --help' for more information\n"],
    [['images', 'a', 'b'], "berth: 'berth images' requires at most 1 argument\n\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'berth images --help' for more information\n"],
    [['volume', 'prune', 'x'], "berth: 'berth volume prune' accepts no arguments\n\nUsage:  berth volume prune [OPTIONS]\n\nRun 'berth volume prune --help' for more information\n"],
  ] as const) {
    const r = await box.berth([...args]);
    assert.deepEqual([r.code, r.stderr], [1, stderr], args.join(' '));
  }
  const r = await other.berth(['rmi', '-a']);
  assert.deepEqual([r.code, r.stderr], [0, ''], 'podman\'s rmi -a of a store with no images');
});

test('load -q says what it loaded, as docker load -q does (only the progress is quiet)', async () => {
  // dockerd 20.10 under docker CLI 28: 'docker load -q -i F' prints 'Loaded image: hi/cfg:1' (and
  // 'The image ... already exists, renaming ...' first when the name moves); berth printed nothing.
  const archive = path.join(box.dir, 'quiet.tar');
  assert.equal((await box.berth(['save', '-o', archive, 'imported/base:1'])).code, 0);
  const r = await other.berth(['load', '-q', '-i', archive]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Loaded image: imported/base:1\n', '']);
});

test('system df -v lists the images newest first, as dockerd does', async () => {
  // dockerd 20.10: 'docker system df -v' lists hi/imp:2, hi/imp:1, hi/cfg:1, ... by creation,
  // newest first; berth listed them in its store's order.
  assert.equal((await box.berth(['import', rootfsTar, 'imported/df-old:1'])).code, 0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((await box.berth(['import', rootfsTar, 'imported/df-new:1'])).code, 0);
  const out = (await box.berth(['system', 'df', '-v'])).stdout;
  const at = (name: string) => out.indexOf(`\n${name} `);
  assert.ok(at('imported/df-new') > 0 && at('imported/df-new') < at('imported/df-old'), out);
  const doc = JSON.parse((await box.berth(['system', 'df', '-v', '--format', 'json'])).stdout) as { Images: { Repository: string }[] };
  const repos = doc.Images.map((i) => i.Repository);
  assert.ok(repos.indexOf('imported/df-new') < repos.indexOf('imported/df-old'), repos.join(' '));
});

test('images: several references are alternatives, as dockerd matches them', async () => {
  // docker CLI 28 on dockerd 20.10: 'images --filter reference=hi/cfg --filter
  // reference=hi/imp:1' lists both (and 'images hi/cfg --filter reference=hi/imp:1' too);
  // berth wanted a row to match every reference, so it listed none.
  const listed = async (args: string[]) => (await box.berth(['images', '--format', '{{.Repository}}:{{.Tag}}', ...args])).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(await listed(['--filter', 'reference=imported/base', '--filter', 'reference=imported/msg:1']), ['imported/base:1', 'imported/msg:1']);
  assert.deepEqual(await listed(['--filter', 'reference=imported/msg:1', 'imported/base']), ['imported/base:1', 'imported/msg:1']);
  assert.deepEqual(await listed(['--filter', 'reference=imported/msg:1', '--filter', 'dangling=true']), [], 'the other filters still hold');
});

test("save to a stdout that fails: Go's 'write /dev/stdout: ...' and no stack; the temporary archive is gone", async () => {
  // docker CLI 28: `docker save IMAGE > /dev/full` says "write /dev/stdout: no space left on
  // device"; berth printed Node's ENOSPC error with its stack.
  const full = openSync('/dev/full', 'w');
  const tmp = path.join(box.dir, 'save-tmp');
  await fs.mkdir(tmp);
  try {
    const r = spawnSync(process.execPath, [BERTH_BIN, 'save', 'imported/base:1'], { env: { ...box.env, TMPDIR: tmp }, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'Error: write /dev/stdout: no space left on device\n');
  } finally {
    closeSync(full);
  }
  // A reader that leaves early: a broken pipe, said once.
  const head = spawnSync('sh', ['-c', `"${process.execPath}" "${BERTH_BIN}" save imported/base:1 | head -c 10 > /dev/null`], { env: { ...box.env, TMPDIR: tmp }, encoding: 'utf8' });
  assert.match(head.stderr, /^Error: write \/dev\/stdout: broken pipe\n$/);
  assert.deepEqual(await fs.readdir(tmp), [], 'the temporary archive is removed');
});

test('import of a file that is no tar: the layer named, not the store\'s temporary dir', async () => {
  const garbage = path.join(box.dir, 'garbage.tar');
  await fs.writeFile(garbage, 'garbage\n');
  const r = await box.berth(['import', garbage, 'imported/garbage:1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: cannot unpack layer sha256:[0-9a-f]{64}: cannot read tar: truncated header at byte 0/);
  assert.doesNotMatch(r.stderr, /\.tmp-/);
  assert.equal((await box.berth(['image', 'exists', 'imported/garbage:1'])).code, 1);
});

test("load of a file that is not there or of an empty STDIN: docker's words", async () => {
  let r = await box.berth(['load', '-i', path.join(box.dir, 'no-such.tar')]);
  assert.deepEqual([r.code, r.stderr], [1, `Error: open ${path.join(box.dir, 'no-such.tar')}: no such file or directory\n`]);
  r = await box.berth(['load'], { input: Buffer.alloc(0) });
  assert.deepEqual([r.code, r.stderr], [1, 'Error: requested load from stdin, but stdin is empty\n']);
});

test('save to oci-archive and load back keeps the manifest digest and name', async () => {
  const file = path.join(box.dir, 'saved-oci.tar');
  let r = await box.berth(['save', '--format', 'oci-archive', '-o', file, 'imported/base:1']);
  assert.equal(r.code, 0, r.stderr);
  const [doc] = JSON.parse((await box.berth(['image', 'inspect', 'imported/base:1'])).stdout);
  const inspect = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci-archive:${file}:docker.io/imported/base:1`])).stdout);
  assert.equal(inspect.config.digest, doc.Id);
  r = await other.berth(['load', '-i', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: imported/base:1\n');
  const [again] = JSON.parse((await other.berth(['image', 'inspect', 'imported/base:1'])).stdout);
  assert.equal(again.Digest, doc.Digest);
  await other.berth(['rmi', '-a']);
});

test('an image saved by podman loads into berth; berth save | berth load works through a pipe', async () => {
  await podman('import', rootfsTar, 'localhost/from-podman:1');
  const file = path.join(box.dir, 'podman-saved.tar');
  await podman('save', '-o', file, 'localhost/from-podman:1');
  let r = await other.berth(['load', '-i', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: localhost/from-podman:1\n');
  const pid = (await podman('image', 'inspect', '--format', '{{.Id}}', 'localhost/from-podman:1')).trim();
  assert.equal(JSON.parse((await other.berth(['image', 'inspect', 'localhost/from-podman:1'])).stdout)[0].Id, `sha256:${pid}`);
  const saved = await new Promise<Buffer>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'src', 'cli', 'main.js'))}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`, '--', 'save', 'localhost/from-podman:1'], { env: other.env, encoding: 'buffer', maxBuffer: 1 << 28 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  r = await box.berth(['load'], { input: saved });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: localhost/from-podman:1\n');
});

test('load takes an archive compressed with gzip, xz, bzip2 or zstd, as docker load does; a broken one leaves nothing', async () => {
  // dockerd 20.10 loads `docker save | gzip`, `| xz` and `| bzip2` (berth said "bad header checksum").
  const plain = path.join(box.dir, 'to-compress.tar');
  // Last in this file: loading a docker-archive of the image rewrites the manifest its record keeps.
  let r = await box.berth(['tag', 'imported/base:1', 'imported/packed:1']);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['save', '-o', plain, 'imported/packed:1']);
  assert.equal(r.code, 0, r.stderr);
  const tmp = path.join(box.dir, 'unpack-tmp');
  await fs.mkdir(tmp);
  for (const [tool, ext] of [['gzip', 'gz'], ['xz', 'xz'], ['bzip2', 'bz2'], ['zstd', 'zst']]) {
    const packed = `${plain}.${ext}`;
    await run('sh', ['-c', `${tool} -c < "${plain}" > "${packed}"`]);
    r = await box.berth(['load', '-i', packed], { env: { ...box.env, TMPDIR: tmp } });
    assert.equal(r.code, 0, `${tool}: ${r.stderr}`);
    assert.equal(r.stdout, 'Loaded image: imported/packed:1\n');
    r = await box.berth(['load'], { input: await fs.readFile(packed), env: { ...box.env, TMPDIR: tmp } });
    assert.equal(r.code, 0, `${tool} on STDIN: ${r.stderr}`);
  }
  for (const [ext, message] of [['xz', /xz -d failed: .*Unexpected end of input/], ['gz', /cannot decompress gzip: unexpected end of file/]] as const) {
    const cut = path.join(box.dir, `cut.tar.${ext}`);
    await fs.writeFile(cut, (await fs.readFile(`${plain}.${ext}`)).subarray(0, 1000));
    r = await box.berth(['load', '-i', cut], { env: { ...box.env, TMPDIR: tmp } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(await fs.readdir(tmp), [], 'no temporary archive is left');
  // import too (dockerd 20.10 imports a rootfs.tar.xz, as distributions publish them), from a
  // file and from STDIN; a cut one fails with xz's words.
  const tree = path.join(box.dir, 'xz-tree');
  await fs.mkdir(tree);
  await fs.writeFile(path.join(tree, 'from-xz'), 'x\n');
  const xzTar = path.join(box.dir, 'rootfs.tar.xz');
  await run('sh', ['-c', `tar -C "${tree}" -cf - . | xz > "${xzTar}"`]);
  r = await box.berth(['import', xzTar, 'imported/xz:1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match((await box.berth(['image', 'diff', 'imported/xz:1'])).stdout, /A \/from-xz/);
  r = await box.berth(['import', '-', 'imported/xz:2'], { input: await fs.readFile(xzTar) });
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['import', '-', 'imported/xz:3'], { input: (await fs.readFile(xzTar)).subarray(0, 60) });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read the tarball: xz -d failed: .*Unexpected end of input/);
  assert.equal((await box.berth(['image', 'exists', 'imported/xz:3'])).code, 1);
});

test("save of an image that is not there, or to a path that cannot be: docker's words, no archive begun", async () => {
  // docker CLI 28 against dockerd: `docker save -o F hi/bb:1 hi/nope` says "Error response from
  // daemon: No such image: hi/nope"; `-o /nonexist/x.tar` says "failed to save image: invalid
  // output path: stat /nonexist: no such file or directory". berth said "cannot save to
  // /tmp/berth-save-XXXX/archive.tar: No such image: ..." (its temporary file's path).
  const tmp = path.join(box.dir, 'save-missing-tmp');
  await fs.mkdir(tmp);
  const out = path.join(tmp, 'x.tar');
  let r = await box.berth(['save', '-o', out, 'imported/base:1', 'imported/nope']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: No such image: imported/nope\n']);
  r = await box.berth(['save', 'imported/nope'], { env: { ...box.env, TMPDIR: tmp } });
  assert.deepEqual([r.code, r.stderr, r.stdout], [1, 'Error: No such image: imported/nope\n', '']);
  assert.deepEqual(await fs.readdir(tmp), [], 'no archive, whole or partial');
  r = await box.berth(['save', '-o', path.join(box.dir, 'no-dir', 'x.tar'), 'imported/base:1']);
  assert.deepEqual([r.code, r.stderr], [1, `Error: failed to save image: invalid output path: stat ${path.join(box.dir, 'no-dir')}: no such file or directory\n`]);
});
