// berth's own requests against every endpoint of the distribution-spec, and every error
// case: blobs, uploads (monolithic, POST+PUT, streamed, chunked), mounts, manifests,
// tags, catalog, referrers, and the bad inputs, each checking nothing leaked into storage.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bytes, errorCode, rawRequest, filesUnder, makeImage, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, sha256, startRegistry, type TestRegistry } from './registry-helpers.js';

let reg: TestRegistry;
let url: string;
before(async () => {
  reg = await startRegistry();
  url = reg.url;
});
after(() => reg.close());

test('/v2/ answers 200 with the API version header; /health is up', async () => {
  const r = await fetch(`${url}/v2/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal((await fetch(`${url}/health`)).status, 200);
});

test('monolithic POST with digest, then HEAD, GET and ranged GET of the blob', async () => {
  const data = Buffer.from('hello monolithic world');
  const d = await pushBlob(url, 'mono/a', data);
  const head = await fetch(`${url}/v2/mono/a/blobs/${d}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(data.length));
  assert.equal(head.headers.get('docker-content-digest'), d);
  const get = await fetch(`${url}/v2/mono/a/blobs/${d}`);
  assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
  const part = await fetch(`${url}/v2/mono/a/blobs/${d}`, { headers: { Range: 'bytes=6-15' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 6-15/${data.length}`);
  assert.equal(await part.text(), 'monolithic');
  const bad = await fetch(`${url}/v2/mono/a/blobs/${d}`, { headers: { Range: 'bytes=500-600' } });
  assert.equal(bad.status, 416);
  await bad.arrayBuffer();
});

test('POST then PUT with the whole body', async () => {
  const data = Buffer.from('post then put');
  const post = await fetch(`${url}/v2/pp/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  const loc = post.headers.get('location')!;
  assert.ok(post.headers.get('docker-upload-uuid'));
  const put = await fetch(`${url}${loc}?digest=${sha256(data)}`, { method: 'PUT', body: bytes(data) });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('docker-content-digest'), sha256(data));
  assert.equal(put.headers.get('location'), `/v2/pp/blobs/${sha256(data)}`);
  assert.equal(await (await fetch(`${url}/v2/pp/blobs/${sha256(data)}`)).text(), 'post then put');
});

test('streamed PATCH, then PUT without a body', async () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 11, 7);
  const post = await fetch(`${url}/v2/stream/blobs/uploads/`, { method: 'POST' });
  const loc = post.headers.get('location')!;
  const patch = await fetch(`${url}${loc}`, { method: 'PATCH', body: bytes(data), headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(patch.status, 202);
  assert.equal(patch.headers.get('range'), `0-${data.length - 1}`);
  const put = await fetch(`${url}${patch.headers.get('location')}?digest=${sha256(data)}`, { method: 'PUT' });
  assert.equal(put.status, 201);
  const head = await fetch(`${url}/v2/stream/blobs/${sha256(data)}`, { method: 'HEAD' });
  assert.equal(head.headers.get('content-length'), String(data.length));
});

test('chunked PATCH with Content-Range; status GET answers 204 with Range; out-of-order and repeated chunks get 416', async () => {
  const data = Buffer.from('0123456789abcdefghij');
  const post = await fetch(`${url}/v2/chunked/blobs/uploads/`, { method: 'POST' });
  const loc = post.headers.get('location')!;
  const chunk = (start: number, end: number) =>
    fetch(`${url}${loc}`, { method: 'PATCH', body: bytes(data.subarray(start, end + 1)), headers: { 'Content-Range': `${start}-${end}`, 'Content-Type': 'application/octet-stream' } });
  assert.equal((await chunk(0, 9)).status, 202);
  const status = await fetch(`${url}${loc}`);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), '0-9');
  const skipped = await chunk(15, 19);
  assert.equal(skipped.status, 416);
  assert.equal(skipped.headers.get('range'), '0-9');
  const repeated = await chunk(0, 9);
  assert.equal(repeated.status, 416);
  assert.equal(await errorCode(repeated), 'BLOB_UPLOAD_INVALID');
  assert.equal((await chunk(10, 19)).status, 202);
  const put = await fetch(`${url}${loc}?digest=${sha256(data)}`, { method: 'PUT' });
  assert.equal(put.status, 201);
  assert.equal(await (await fetch(`${url}/v2/chunked/blobs/${sha256(data)}`)).text(), data.toString());
});

test('a malformed Content-Range is refused with 416 and writes nothing', async () => {
  const post = await fetch(`${url}/v2/badrange/blobs/uploads/`, { method: 'POST' });
  const loc = post.headers.get('location')!;
  for (const bad of ['abc', '5-2', '-1-3', 'bytes=x-y']) {
    const r = await fetch(`${url}${loc}`, { method: 'PATCH', body: 'abcd', headers: { 'Content-Range': bad } });
    assert.equal(r.status, 416, bad);
    await r.arrayBuffer();
  }
  const lengthLies = await fetch(`${url}${loc}`, { method: 'PATCH', body: 'abcd', headers: { 'Content-Range': '0-9' } });
  assert.equal(lengthLies.status, 416);
  await lengthLies.arrayBuffer();
  assert.equal((await fetch(`${url}${loc}`)).headers.get('range'), '0-0');
});

test('DELETE of an upload cancels it; its id is then unknown', async () => {
  const post = await fetch(`${url}/v2/cancel/blobs/uploads/`, { method: 'POST' });
  const loc = post.headers.get('location')!;
  await (await fetch(`${url}${loc}`, { method: 'PATCH', body: 'partial' })).arrayBuffer();
  assert.equal((await fetch(`${url}${loc}`, { method: 'DELETE' })).status, 204);
  const gone = await fetch(`${url}${loc}`);
  assert.equal(gone.status, 404);
  assert.equal(await errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
  const other = await fetch(`${url}/v2/cancel/blobs/uploads/not-an-id`);
  assert.equal(other.status, 404);
  await other.arrayBuffer();
});

test('an upload of one repository is unknown under another', async () => {
  const post = await fetch(`${url}/v2/owner/blobs/uploads/`, { method: 'POST' });
  const id = post.headers.get('docker-upload-uuid')!;
  const r = await fetch(`${url}/v2/intruder/blobs/uploads/${id}`, { method: 'PATCH', body: 'x' });
  assert.equal(r.status, 404);
  assert.equal(await errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
});

test('a wrong digest is refused (DIGEST_INVALID) and no blob appears', async () => {
  const before = (await filesUnder(`${reg.root}/v2/blobs`)).length;
  const wrong = sha256('something else');
  const r = await fetch(`${url}/v2/wrong/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: 'the real content' });
  assert.equal(r.status, 400);
  assert.equal(await errorCode(r), 'DIGEST_INVALID');
  assert.equal((await filesUnder(`${reg.root}/v2/blobs`)).length, before);
  const head = await fetch(`${url}/v2/wrong/blobs/${wrong}`, { method: 'HEAD' });
  assert.equal(head.status, 404);
  const malformed = await fetch(`${url}/v2/wrong/blobs/uploads/?digest=sha256:xyz`, { method: 'POST', body: 'x' });
  assert.equal(malformed.status, 400);
  assert.equal(await errorCode(malformed), 'DIGEST_INVALID');
});

test('missing blobs are BLOB_UNKNOWN; a blob of another repository is not visible without a link', async () => {
  const d = await pushBlob(url, 'private/one', 'only here');
  const r = await fetch(`${url}/v2/private/two/blobs/${d}`);
  assert.equal(r.status, 404);
  assert.equal(await errorCode(r), 'BLOB_UNKNOWN');
  const head = await fetch(`${url}/v2/private/one/blobs/${sha256('never pushed')}`, { method: 'HEAD' });
  assert.equal(head.status, 404);
  assert.equal(await head.text(), '');
});

test('cross-repository mount with from, automatic mount, and a fallback upload for unknown blobs', async () => {
  const d = await pushBlob(url, 'mount/src', 'shared layer');
  const r = await fetch(`${url}/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`, { method: 'POST' });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('docker-content-digest'), d);
  assert.equal(await (await fetch(`${url}/v2/mount/dst/blobs/${d}`)).text(), 'shared layer');
  const auto = await fetch(`${url}/v2/mount/auto/blobs/uploads/?mount=${d}`, { method: 'POST' });
  assert.equal(auto.status, 201);
  const unknown = await fetch(`${url}/v2/mount/dst2/blobs/uploads/?mount=${sha256('nope')}&from=mount/src`, { method: 'POST' });
  assert.equal(unknown.status, 202);
  assert.ok(unknown.headers.get('location')?.startsWith('/v2/mount/dst2/blobs/uploads/'));
});

test('manifests by tag and digest: PUT, GET, HEAD with digest and media type', async () => {
  const img = makeImage();
  const put = await pushImage(url, 'app/web', 'v1', img);
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('docker-content-digest'), img.digest);
  assert.equal(put.headers.get('location'), `/v2/app/web/manifests/${img.digest}`);
  for (const ref of ['v1', img.digest]) {
    const get = await fetch(`${url}/v2/app/web/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(get.headers.get('docker-content-digest'), img.digest);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), img.manifest);
    const head = await fetch(`${url}/v2/app/web/manifests/${ref}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(img.manifest.length));
  }
  const missing = await fetch(`${url}/v2/app/web/manifests/v2`);
  assert.equal(missing.status, 404);
  assert.equal(await errorCode(missing), 'MANIFEST_UNKNOWN');
});

test('Docker schema 2 manifests and manifest lists are stored with their media type', async () => {
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = Buffer.from('docker layer');
  await pushBlob(url, 'docker/img', config);
  await pushBlob(url, 'docker/img', layer);
  const type = 'application/vnd.docker.distribution.manifest.v2+json';
  const m = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: type,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  assert.equal((await fetch(`${url}/v2/docker/img/manifests/latest`, { method: 'PUT', body: bytes(m), headers: { 'Content-Type': type } })).status, 201);
  const listType = 'application/vnd.docker.distribution.manifest.list.v2+json';
  const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: listType, manifests: [{ mediaType: type, digest: sha256(m), size: m.length, platform: { architecture: 'amd64', os: 'linux' } }] }));
  assert.equal((await fetch(`${url}/v2/docker/img/manifests/multi`, { method: 'PUT', body: bytes(list), headers: { 'Content-Type': listType } })).status, 201);
  assert.equal((await fetch(`${url}/v2/docker/img/manifests/multi`)).headers.get('content-type'), listType);
});

test('a manifest whose blobs are missing is refused (MANIFEST_BLOB_UNKNOWN) and nothing is stored', async () => {
  const img = makeImage(1);
  const r = await fetch(`${url}/v2/incomplete/manifests/v1`, { method: 'PUT', body: bytes(img.manifest), headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(r.status, 400);
  assert.equal(await errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
  assert.deepEqual(await filesUnder(`${reg.root}/v2/repositories/incomplete`), []);
});

test('an index whose child manifests are missing is refused; with them it is stored', async () => {
  const img = makeImage(1);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: img.digest, size: img.manifest.length }] }));
  const early = await fetch(`${url}/v2/multi/manifests/latest`, { method: 'PUT', body: bytes(index), headers: { 'Content-Type': OCI_INDEX } });
  assert.equal(early.status, 400);
  assert.equal(await errorCode(early), 'MANIFEST_BLOB_UNKNOWN');
  assert.equal((await pushImage(url, 'multi', img.digest, img)).status, 201);
  const ok = await fetch(`${url}/v2/multi/manifests/latest`, { method: 'PUT', body: bytes(index), headers: { 'Content-Type': OCI_INDEX } });
  assert.equal(ok.status, 201);
});

test('a manifest over 4 MiB gets 413 and nothing is stored', async () => {
  const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
  const r = await fetch(`${url}/v2/big/manifests/v1`, { method: 'PUT', body: bytes(big), headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(r.status, 413);
  await r.arrayBuffer();
  assert.deepEqual(await filesUnder(`${reg.root}/v2/repositories/big`), []);
});

test('a manifest contradicting its Content-Type, or malformed, is MANIFEST_INVALID', async () => {
  const img = makeImage(1);
  await pushImage(url, 'contra', 'ok', img);
  const wrongType = await fetch(`${url}/v2/contra/manifests/v2`, { method: 'PUT', body: bytes(img.manifest), headers: { 'Content-Type': OCI_INDEX } });
  assert.equal(wrongType.status, 400);
  assert.equal(await errorCode(wrongType), 'MANIFEST_INVALID');
  const notJson = await fetch(`${url}/v2/contra/manifests/v3`, { method: 'PUT', body: '{not json', headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(await errorCode(notJson), 'MANIFEST_INVALID');
  const layersInIndex = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, layers: [] }));
  const shape = await fetch(`${url}/v2/contra/manifests/v4`, { method: 'PUT', body: bytes(layersInIndex), headers: { 'Content-Type': OCI_INDEX } });
  assert.equal(shape.status, 400);
  await shape.arrayBuffer();
  assert.deepEqual((await (await fetch(`${url}/v2/contra/tags/list`)).json()).tags, ['ok']);
});

test('PUT by digest must match the body', async () => {
  const img = makeImage(1);
  const r = await pushImage(url, 'bydigest', sha256('other'), img);
  assert.equal(r.status, 400);
  assert.equal(await errorCode(r), 'DIGEST_INVALID');
  assert.equal((await fetch(`${url}/v2/bydigest/manifests/${img.digest}`, { method: 'PUT', body: bytes(img.manifest), headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);
});

test('bad repository names and tags are refused before storage', async () => {
  const beforeFiles = await filesUnder(reg.root);
  for (const name of ['UPPER', 'a/../b', 'a//b', '_hidden', 'a/_layers', '-dash', 'a%2f..%2fb', '../../etc', 'a/./b', 'x'.repeat(300)]) {
    const r = await rawRequest(url, 'POST', `/v2/${name}/blobs/uploads/`);
    assert.equal(r.status, 400, `${name}: ${r.status}`);
    assert.equal(JSON.parse(r.body).errors[0].code, 'NAME_INVALID');
    assert.equal((await rawRequest(url, 'GET', `/v2/${name}/tags/list`)).status, 400);
    assert.equal((await rawRequest(url, 'PUT', `/v2/${name}/manifests/latest`)).status, 400);
  }
  const bad = await fetch(`${url}/v2/UPPER/tags/list`);
  assert.equal(await errorCode(bad), 'NAME_INVALID');
  const img = makeImage(1);
  for (const tag of ['-lead', '.dot', 'a'.repeat(129), 'sp ace']) {
    const r = await fetch(`${url}/v2/tagcheck/manifests/${encodeURIComponent(tag)}`, { method: 'PUT', body: bytes(img.manifest), headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 400, tag);
    await r.arrayBuffer();
  }
  assert.deepEqual(await filesUnder(reg.root), beforeFiles);
});

test('tags list is sorted and paginated with n, last and a Link header', async () => {
  const img = makeImage(1);
  for (const tag of ['b', 'a', 'd', 'c', 'e']) assert.equal((await pushImage(url, 'paged', tag, img)).status, 201);
  const all = await (await fetch(`${url}/v2/paged/tags/list`)).json();
  assert.deepEqual(all, { name: 'paged', tags: ['a', 'b', 'c', 'd', 'e'] });
  const first = await fetch(`${url}/v2/paged/tags/list?n=2`);
  assert.deepEqual((await first.json()).tags, ['a', 'b']);
  assert.equal(first.headers.get('link'), '</v2/paged/tags/list?n=2&last=b>; rel="next"');
  const next = await fetch(`${url}/v2/paged/tags/list?n=2&last=b`);
  assert.deepEqual((await next.json()).tags, ['c', 'd']);
  const last = await fetch(`${url}/v2/paged/tags/list?n=2&last=d`);
  assert.deepEqual((await last.json()).tags, ['e']);
  assert.equal(last.headers.get('link'), null);
  assert.deepEqual((await (await fetch(`${url}/v2/paged/tags/list?n=0`)).json()).tags, []);
  const unknown = await fetch(`${url}/v2/never/pushed/tags/list`);
  assert.equal(unknown.status, 404);
  assert.equal(await errorCode(unknown), 'NAME_UNKNOWN');
  const badN = await fetch(`${url}/v2/paged/tags/list?n=-1`);
  assert.equal(await errorCode(badN), 'PAGINATION_NUMBER_INVALID');
});

test('catalog lists repositories with bounded pagination', async () => {
  const img = makeImage(1);
  for (const n of ['cat/z', 'cat/y', 'cat/x']) await pushImage(url, n, 'v1', img);
  const all = (await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] };
  assert.ok(all.repositories.includes('cat/x'));
  assert.deepEqual(all.repositories, [...all.repositories].sort());
  const page = await fetch(`${url}/v2/_catalog?n=1&last=cat/x`);
  assert.deepEqual((await page.json()).repositories, ['cat/y']);
  assert.match(page.headers.get('link') ?? '', /^<\/v2\/_catalog\?n=1&last=cat%2Fy>; rel="next"$/);
  const tooMany = await fetch(`${url}/v2/_catalog?n=100000`);
  assert.equal(tooMany.status, 400);
  assert.equal(await errorCode(tooMany), 'PAGINATION_NUMBER_INVALID');
});

test('referrers: OCI-Subject on PUT, a missing subject allowed, listing and artifactType filtering', async () => {
  const img = makeImage(1);
  await pushImage(url, 'refs', 'v1', img);
  const emptyConfig = Buffer.from('{}');
  await pushBlob(url, 'refs', emptyConfig);
  const sig = (artifactType: string, subject: string, size: number) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 }],
        subject: { mediaType: OCI_MANIFEST, digest: subject, size },
        annotations: { 'org.example.kind': artifactType },
      }),
    );
  const a = sig('application/vnd.example.sig', img.digest, img.manifest.length);
  const b = sig('application/vnd.example.sbom', img.digest, img.manifest.length);
  for (const m of [a, b]) {
    const r = await fetch(`${url}/v2/refs/manifests/${sha256(m)}`, { method: 'PUT', body: bytes(m), headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('oci-subject'), img.digest);
  }
  const dangling = sig('application/vnd.example.sig', sha256('not pushed yet'), 10);
  assert.equal((await fetch(`${url}/v2/refs/manifests/${sha256(dangling)}`, { method: 'PUT', body: bytes(dangling), headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);
  const list = await fetch(`${url}/v2/refs/referrers/${img.digest}`);
  assert.equal(list.status, 200);
  assert.equal(list.headers.get('content-type'), OCI_INDEX);
  const index = (await list.json()) as { manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] };
  assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sha256(a), sha256(b)].sort());
  assert.equal(index.manifests.find((m) => m.digest === sha256(a))!.annotations['org.example.kind'], 'application/vnd.example.sig');
  const filtered = await fetch(`${url}/v2/refs/referrers/${img.digest}?artifactType=application/vnd.example.sbom`);
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(((await filtered.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest), [sha256(b)]);
  const none = await fetch(`${url}/v2/refs/referrers/${sha256('nothing refers')}`);
  assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
  assert.equal((await fetch(`${url}/v2/refs/manifests/${sha256(a)}`, { method: 'DELETE' })).status, 202);
  const after = (await (await fetch(`${url}/v2/refs/referrers/${img.digest}`)).json()) as { manifests: { digest: string }[] };
  assert.deepEqual(after.manifests.map((m) => m.digest), [sha256(b)]);
});

test('tag deletion, manifest deletion (takes its tags), and blob deletion', async () => {
  const img = makeImage(1);
  await pushImage(url, 'del', 'one', img);
  await fetch(`${url}/v2/del/manifests/two`, { method: 'PUT', body: bytes(img.manifest), headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal((await fetch(`${url}/v2/del/manifests/one`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${url}/v2/del/manifests/one`)).status, 404);
  assert.equal((await fetch(`${url}/v2/del/manifests/two`)).status, 200);
  assert.equal((await fetch(`${url}/v2/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${url}/v2/del/manifests/two`)).status, 404);
  assert.equal((await fetch(`${url}/v2/del/manifests/${img.digest}`)).status, 404);
  const again = await fetch(`${url}/v2/del/manifests/${img.digest}`, { method: 'DELETE' });
  assert.equal(again.status, 404);
  assert.equal(await errorCode(again), 'MANIFEST_UNKNOWN');
  const layer = sha256(img.layers[0]);
  assert.equal((await fetch(`${url}/v2/del/blobs/${layer}`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${url}/v2/del/blobs/${layer}`, { method: 'HEAD' })).status, 404);
  const twice = await fetch(`${url}/v2/del/blobs/${layer}`, { method: 'DELETE' });
  assert.equal(await errorCode(twice), 'BLOB_UNKNOWN');
});

test('unknown methods get 405 UNSUPPORTED', async () => {
  const r = await fetch(`${url}/v2/x/tags/list`, { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(await errorCode(r), 'UNSUPPORTED');
});

test('graceful shutdown finishes an in-flight upload', async () => {
  const own = await startRegistry();
  try {
    const post = await fetch(`${own.url}/v2/g/blobs/uploads/`, { method: 'POST' });
    const loc = post.headers.get('location')!;
    const data = Buffer.alloc(1024 * 1024, 3);
    let push!: (c: Buffer | null) => void;
    const body = new ReadableStream<Uint8Array>({
      start(ctrl) {
        push = (c) => (c ? ctrl.enqueue(c) : ctrl.close());
      },
    });
    const pending = fetch(`${own.url}${loc}`, { method: 'PATCH', body, duplex: 'half' } as RequestInit);
    push(data.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 100));
    const stopped = own.server.stop(5000);
    await new Promise((r) => setTimeout(r, 100));
    push(data.subarray(1000));
    push(null);
    const r = await pending;
    assert.equal(r.status, 202);
    assert.equal(r.headers.get('range'), `0-${data.length - 1}`);
    await stopped;
    await assert.rejects(fetch(`${own.url}/v2/`));
  } finally {
    await own.close();
  }
});

test('access logs are JSON lines with method, path, status, bytes, duration', async () => {
  const logFile = `${reg.root}-access.log`;
  const own = await startRegistry({ log: { access: logFile } });
  try {
    const d = await pushBlob(own.url, 'logged', 'logged bytes');
    await (await fetch(`${own.url}/v2/logged/blobs/${d}`)).arrayBuffer();
    await own.server.stop();
    const lines = (await import('node:fs/promises')).readFile(logFile, 'utf8');
    const entries = (await lines).trim().split('\n').map((l) => JSON.parse(l));
    const get = entries.find((e) => e.method === 'GET' && e.path === `/v2/logged/blobs/${d}`);
    assert.ok(get, JSON.stringify(entries));
    assert.equal(get.status, 200);
    assert.equal(get.bytes, 'logged bytes'.length);
    assert.equal(typeof get.duration_ms, 'number');
    assert.ok(entries.some((e) => e.method === 'POST' && e.status === 201));
  } finally {
    await own.close();
    await (await import('node:fs/promises')).rm(logFile, { force: true });
  }
});

test('the server runs the same on the in-memory driver', async () => {
  const mem = await startRegistry({ driver: 'inmemory' });
  try {
    const img = makeImage(2);
    assert.equal((await pushImage(mem.url, 'mem/app', 'v1', img)).status, 201);
    const get = await fetch(`${mem.url}/v2/mem/app/manifests/v1`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), img.manifest);
    const post = await fetch(`${mem.url}/v2/mem/app/blobs/uploads/`, { method: 'POST' });
    const loc = post.headers.get('location')!;
    await (await fetch(`${mem.url}${loc}`, { method: 'PATCH', body: 'abc', headers: { 'Content-Range': '0-2' } })).arrayBuffer();
    const bad = await fetch(`${mem.url}${loc}`, { method: 'PATCH', body: 'def', headers: { 'Content-Range': '0-2' } });
    assert.equal(bad.status, 416);
    await bad.arrayBuffer();
    await (await fetch(`${mem.url}${loc}`, { method: 'PATCH', body: 'def', headers: { 'Content-Range': '3-5' } })).arrayBuffer();
    assert.equal((await fetch(`${mem.url}${loc}?digest=${sha256('abcdef')}`, { method: 'PUT' })).status, 201);
    assert.equal(await (await fetch(`${mem.url}/v2/mem/app/blobs/${sha256('abcdef')}`, { headers: { Range: 'bytes=2-3' } })).text(), 'cd');
    assert.deepEqual((await (await fetch(`${mem.url}/v2/_catalog`)).json()).repositories, ['mem/app']);
    assert.deepEqual(await filesUnder(mem.root), [], 'nothing on disk');
  } finally {
    await mem.close();
  }
});
