// Name resolution and selection in `berth pull`: short names through registries.conf search
// registries (every candidate listed when all fail), aliases, mirrors, --platform from an
// index (the host's by default), and --all-tags.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Distribution, sha256, skopeo, startDistribution } from './client-helpers.js';
import { type Sandbox, sandbox } from './images-helpers.js';
import { rawTar } from './layer-fixtures.js';

let box: Sandbox;
let reg: Distribution;
let mirror: Distribution;
let host: string;

/** An OCI layout holding one index over an amd64 and an arm64 image (each a file naming its arch). */
async function multiArchLayout(dir: string): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    await fs.writeFile(path.join(blobs, sha256(b).slice(7)), b);
    return { digest: sha256(b), size: b.length };
  };
  const manifests = [];
  for (const arch of ['amd64', 'arm64']) {
    const tar = rawTar([{ name: 'arch', body: arch }]);
    const layer = await put(gzipSync(tar));
    const config = await put(Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] } })));
    const m = await put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
        }),
      ),
    );
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { architecture: arch, os: 'linux' } });
  }
  const index = await put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
  await fs.writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const top = { mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': 'multi' } };
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [top] }));
}

before(async () => {
  box = await sandbox('berth-images-resolve-');
  reg = await startDistribution(path.join(box.dir, 'registry'));
  mirror = await startDistribution(path.join(box.dir, 'mirror'));
  host = `127.0.0.1:${reg.port}`;
  const layout = path.join(box.dir, 'multi');
  await multiArchLayout(layout);
  await skopeo(box.dir, ['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${host}/lib/multi:1`]);
  await skopeo(box.dir, ['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${host}/lib/multi:2`]);
});

after(async () => {
  await reg?.stop();
  await mirror?.stop();
  await box?.done();
});

test('an index gives the host platform by default and the one --platform names', async () => {
  let r = await box.berth(['pull', '-q', `${host}/lib/multi:1`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['image', 'inspect', '--format', '{{.Architecture}}', `${host}/lib/multi:1`]);
  assert.equal(r.stdout, 'amd64\n');
  r = await box.berth(['pull', '-q', '--platform', 'linux/arm64', `${host}/lib/multi:1`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['image', 'inspect', '--format', '{{.Architecture}}', `${host}/lib/multi:1`]);
  assert.equal(r.stdout, 'arm64\n');
  r = await box.berth(['pull', '--platform', 'linux/s390x', `${host}/lib/multi:1`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no image for platform linux\/s390x: the index offers linux\/amd64, linux\/arm64/);
  await box.berth(['rmi', '-a', '-f']);
});

test('--all-tags pulls every tag of the repository', async () => {
  const r = await box.berth(['pull', '-q', '--all-tags', `${host}/lib/multi`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${host}/lib/multi:1`, `${host}/lib/multi:2`]);
  const list = await box.berth(['images', '--format', '{{.Tag}}']);
  assert.deepEqual(list.stdout.trim().split('\n').sort(), ['1', '2']);
  await box.berth(['rmi', '-a', '-f']);
});

test('short names use the search registries in order and a failure lists every candidate', async () => {
  const conf = path.join(box.dir, 'search.conf');
  const dead = '127.0.0.1:1';
  await fs.writeFile(conf, `unqualified-search-registries = ["${dead}", "${host}"]\nshort-name-mode = "permissive"\n`);
  const env = { CONTAINERS_REGISTRIES_CONF: conf };
  let r = await box.berth(['pull', '-q', 'lib/multi:1'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${host}/lib/multi:1\n`);
  r = await box.berth(['pull', 'lib/nothing:1'], { env });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`tried 2 locations: ${dead}/lib/nothing:1: .*; ${host}/lib/nothing:1: `));
  await box.berth(['rmi', '-a', '-f']);
});

test('an alias names the image, and a mirror is tried first', async () => {
  const conf = path.join(box.dir, 'alias.conf');
  await skopeo(box.dir, ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/lib/multi:1`, `docker://127.0.0.1:${mirror.port}/lib/multi:1`]);
  await fs.writeFile(
    conf,
    `[aliases]\n"multi" = "${host}/lib/multi"\n\n[[registry]]\nlocation = "${host}"\n[[registry.mirror]]\nlocation = "127.0.0.1:${mirror.port}"\n`,
  );
  await reg.stop();
  try {
    const r = await box.berth(['pull', '-q', 'multi:1'], { env: { CONTAINERS_REGISTRIES_CONF: conf } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${host}/lib/multi:1\n`, 'the image keeps its own name when it came from a mirror');
  } finally {
    reg = await startDistribution(path.join(box.dir, 'registry'));
  }
});
