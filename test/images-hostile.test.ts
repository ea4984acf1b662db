// Hostile registries and images against `berth pull`: each case ends in a clear error (or a
// verified success where the protocol allows recovery), writes nothing outside the store, and
// leaves nothing half-made in `berth images`, the layer store or the blob store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { sha256 } from './client-helpers.js';
import { buildImage, hostileRegistry, type Served, type Sandbox, sandbox } from './images-helpers.js';
import { makeSentinel, type RawEntry } from './layer-fixtures.js';

let box: Sandbox;
let sentinel: ReturnType<typeof makeSentinel>;

before(async () => {
  box = await sandbox('berth-images-hostile-');
  sentinel = makeSentinel(box.dir);
});
after(() => box?.done());

const plainLayers: RawEntry[][] = [
  [{ name: 'etc/', type: 'directory' }, { name: 'etc/hostname', body: 'berth\n' }],
  [{ name: 'data.bin', body: randomBytes(300_000) }],
];

/** Nothing visible and nothing committed: no image, no layer, no blob of `image`. */
async function assertNothingMade(image: Served) {
  const list = await box.berth(['images', '-q']);
  assert.equal(list.stdout, '');
  const layers = (await fs.readdir(path.join(box.root, 'layers')).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n));
  assert.deepEqual(layers, []);
  for (const d of image.layerDigests) {
    await assert.rejects(fs.stat(path.join(box.root, 'blobs', 'sha256', d.slice(7))), 'a bad blob was committed');
  }
  assert.ok(sentinel.untouched(), 'something was written outside the store');
}

test('a blob whose bytes do not match its digest is refused', async () => {
  const image = buildImage(plainLayers);
  const bad = Buffer.from(image.blobs.get(image.layerDigests[1])!);
  bad[bad.length >> 1] ^= 0xff;
  const reg = await hostileRegistry(image, (req, res) => {
    if (req.url?.endsWith(image.layerDigests[1])) {
      res.writeHead(200, { 'content-length': bad.length }).end(bad);
      return true;
    }
    return false;
  });
  try {
    const r = await box.berth(['pull', `${reg.host}/test/img:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${image.layerDigests[1]}.*(digest|hash)|(digest|hash).*${image.layerDigests[1].slice(7, 19)}`, 'i'));
    await assertNothingMade(image);
  } finally {
    await reg.close();
  }
});

test('a manifest that is not the one asked for by digest is refused', async () => {
  const image = buildImage(plainLayers);
  const reg = await hostileRegistry(image);
  try {
    const wanted = sha256('another manifest');
    const r = await box.berth(['pull', `${reg.host}/test/img@${wanted}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`cannot pull ${reg.host}/test/img@${wanted}.*digest`, 'i'));
    assert.ok(!reg.requests.some((q) => q.url.includes('/blobs/')), 'no blob is fetched for an untrusted manifest');
    await assertNothingMade(image);
  } finally {
    await reg.close();
  }
});

test('a config whose diff_ids lie about the layers is refused', async () => {
  const image = buildImage(plainLayers, { lieDiffID: true });
  const reg = await hostileRegistry(image);
  try {
    const r = await box.berth(['pull', `${reg.host}/test/img:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /uncompressed content hashes to/);
    const list = await box.berth(['images', '-q']);
    assert.equal(list.stdout, '');
    const layers = (await fs.readdir(path.join(box.root, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n) || n.startsWith('.tmp-'));
    assert.ok(!layers.some((n) => n.startsWith('.tmp-')), 'no temp unpack is left');
    assert.ok(sentinel.untouched());
  } finally {
    await reg.close();
  }
});

test('a download cut short resumes with Range and verifies', async () => {
  const image = buildImage(plainLayers);
  let cut = false;
  const reg = await hostileRegistry(image, (req, res) => {
    const blob = image.blobs.get(image.layerDigests[1])!;
    if (!cut && req.url?.endsWith(image.layerDigests[1]) && !req.headers.range) {
      cut = true;
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, blob.length >> 1), () => res.socket?.destroy());
      return true;
    }
    return false;
  });
  try {
    const r = await box.berth(['pull', '-q', `${reg.host}/test/img:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(reg.requests.some((q) => q.url.endsWith(image.layerDigests[1])), 'the blob was asked for again');
    assert.equal((await box.berth(['images', '-q'])).stdout.trim().length, 12);
  } finally {
    await reg.close();
    await box.berth(['rmi', '-a']);
  }
});

test('a download that is always cut short ends in a clear error', async () => {
  const image = buildImage(plainLayers);
  const reg = await hostileRegistry(image, (req, res) => {
    const blob = image.blobs.get(image.layerDigests[1])!;
    if (req.url?.endsWith(image.layerDigests[1])) {
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(from ? 206 : 200, { 'content-length': blob.length - from, ...(from ? { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` } : {}) });
      res.write(blob.subarray(from, from + 1000), () => res.socket?.destroy());
      return true;
    }
    return false;
  });
  try {
    const r = await box.berth(['pull', `${reg.host}/test/img:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /download failed after \d+ of \d+ bytes and \d+ resumes/);
    await assertNothingMade(image);
  } finally {
    await reg.close();
  }
});

test('a layer with paths escaping the root is refused and writes nothing outside', async () => {
  const outside = `${'../'.repeat(12)}${sentinel.dir.slice(1)}/file`;
  const image = buildImage([[{ name: 'ok', body: 'fine' }], [{ name: outside, body: 'pwned' }]]);
  const reg = await hostileRegistry(image);
  try {
    const r = await box.berth(['pull', `${reg.host}/test/img:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /outside the root/);
    assert.ok(sentinel.untouched());
    assert.equal((await box.berth(['images', '-q'])).stdout, '');
  } finally {
    await reg.close();
    await box.berth(['image', 'prune', '-a', '-f']);
  }
});

test('credentials never follow a redirect to another host', async () => {
  const image = buildImage(plainLayers);
  const other = await hostileRegistry(image);
  const reg = await hostileRegistry(image, (req, res) => {
    if (req.headers.authorization === undefined && req.url !== '/v2/') {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      return true;
    }
    if (req.url === '/v2/' && req.headers.authorization === undefined) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      return true;
    }
    const m = /\/blobs\/(sha256:[a-f0-9]+)$/.exec(req.url ?? '');
    if (m && m[1] !== sha256(JSON.stringify({}))) {
      // The same blob, served from another host (localhost, not 127.0.0.1), as storage backends do.
      res.writeHead(307, { location: `http://localhost:${other.port}/v2/test/img/blobs/${m[1]}` }).end();
      return true;
    }
    return false;
  });
  try {
    const r = await box.berth(['pull', '-q', '--creds', 'bob:hunter2', `${reg.host}/test/img:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(other.requests.some((q) => q.url.includes('/blobs/')), 'the redirect was followed');
    assert.ok(other.requests.every((q) => q.auth === undefined), 'credentials went to another host');
    assert.ok(reg.requests.some((q) => q.auth?.startsWith('Basic ')));
  } finally {
    await reg.close();
    await other.close();
    await box.berth(['rmi', '-a']);
  }
});

test('a blocked registry is refused before any request, naming the rule', async () => {
  const image = buildImage(plainLayers);
  const reg = await hostileRegistry(image);
  const conf = path.join(box.dir, 'blocked.conf');
  await fs.writeFile(conf, `[[registry]]\nlocation = "${reg.host}"\nblocked = true\n`);
  try {
    const r = await box.berth(['pull', `${reg.host}/test/img:1`], { env: { CONTAINERS_REGISTRIES_CONF: conf } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /blocked/);
    assert.ok(r.stderr.includes(conf), r.stderr);
    assert.equal(reg.requests.length, 0);
    await assertNothingMade(image);
  } finally {
    await reg.close();
  }
});

test('a registry off this machine gets plain HTTP only with --tls-verify=false or an insecure entry', async () => {
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  assert.ok(address, 'this test needs a non-loopback IPv4 address on the host');
  const image = buildImage(plainLayers);
  const reg = await hostileRegistry(image, () => false, address);
  try {
    let r = await box.berth(['pull', '-q', `${reg.host}/test/img:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`cannot (pull|reach registry) ${reg.host.replace(/\./g, '\\.')}`));
    assert.equal(reg.requests.filter((q) => q.url.startsWith('/v2/test')).length, 0, 'nothing is asked over plain HTTP');
    r = await box.berth(['pull', '-q', '--tls-verify=false', `${reg.host}/test/img:1`]);
    assert.equal(r.code, 0, r.stderr);
    await box.berth(['rmi', '-a', '-f']);
    const conf = path.join(box.dir, 'insecure.conf');
    await fs.writeFile(conf, `[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
    r = await box.berth(['pull', '-q', `${reg.host}/test/img:1`], { env: { CONTAINERS_REGISTRIES_CONF: conf } });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await reg.close();
    await box.berth(['rmi', '-a', '-f']);
  }
});
