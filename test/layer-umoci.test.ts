// Interop with umoci: an OCI image of two layers (every entry kind, then whiteouts and an
// opaque dir) unpacked by `umoci raw unpack` and by berth's merge apply gives the same tree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { applyLayer } from '../src/layer/index.js';
import { rawTar, snapshotTree } from './layer-fixtures.js';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layer-umoci-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** An OCI image layout holding one image (tag "test") with these gzip layers. */
function writeLayout(dir: string, tars: Buffer[]): void {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer) => {
    fs.writeFileSync(path.join(blobs, sha(data)), data);
    return { digest: `sha256:${sha(data)}`, size: data.length };
  };
  const layers = tars.map((t) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(t)) }));
  const config = put(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha(t)}`) } })),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'test' } }],
    }),
  );
}

test('umoci raw unpack and berth merge agree on a two-layer image with whiteouts', async () => {
  const base = rawTar([
    { name: 'etc/', type: 'directory', mode: 0o755, mtime: 1_600_000_000 },
    { name: 'etc/passwd', body: 'root:x:0:0\n', mode: 0o644, mtime: 1_600_000_000 },
    { name: 'etc/shadow', body: 'secret', mode: 0o640, gid: 42, mtime: 1_600_000_000 },
    { name: 'etc/old.d/', type: 'directory', mtime: 1_600_000_000 },
    { name: 'etc/old.d/a', body: 'a', mtime: 1_600_000_000 },
    { name: 'usr/', type: 'directory', mtime: 1_600_000_000 },
    { name: 'usr/bin/', type: 'directory', mtime: 1_600_000_000 },
    { name: 'usr/bin/su', body: 'su', mode: 0o4755, mtime: 1_600_000_000 },
    { name: 'usr/bin/su-link', type: 'hardlink', linkname: 'usr/bin/su', mtime: 1_600_000_000 },
    { name: 'usr/bin/sh', type: 'symlink', linkname: 'dash', mtime: 1_600_000_000 },
    { name: 'usr/bin/ping', body: 'ping', xattrs: { 'security.capability': Buffer.from('0100000200200000000000000000000000000000', 'hex') }, mtime: 1_600_000_000 },
    { name: 'dev/', type: 'directory', mtime: 1_600_000_000 },
    { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666, mtime: 1_600_000_000 },
    { name: 'dev/fifo', type: 'fifo', mode: 0o600, mtime: 1_600_000_000 },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: 1_600_000_000 },
    { name: 'tmp/junk', body: 'junk', mtime: 1_600_000_000 },
  ]);
  const top = rawTar([
    { name: 'etc/', type: 'directory', mode: 0o755, mtime: 1_700_000_000 },
    { name: 'etc/.wh.shadow', body: '' },
    { name: 'etc/old.d/', type: 'directory', mtime: 1_700_000_000 },
    { name: 'etc/old.d/.wh..wh..opq', body: '' },
    { name: 'etc/old.d/b', body: 'b', mtime: 1_700_000_000 },
    { name: 'etc/passwd', body: 'root:x:0:0\nuser:x:1000:1000\n', mtime: 1_700_000_000 },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: 1_700_000_000 },
    { name: 'tmp/.wh.junk', body: '' },
    { name: 'usr/bin/sh', body: 'now a file', mtime: 1_700_000_000 },
  ]);
  const layout = path.join(tmp, 'oci');
  writeLayout(layout, [base, top]);
  const byUmoci = path.join(tmp, 'umoci-rootfs');
  execFileSync('umoci', ['raw', 'unpack', '--image', `${layout}:test`, byUmoci]);

  const byBerth = fs.mkdtempSync(path.join(tmp, 'berth-'));
  for (const layer of [base, top]) await applyLayer(Readable.from([gzipSync(layer)]), byBerth, { mode: 'merge' });

  const want = snapshotTree(byUmoci, { mtimes: true, dirMtimes: true });
  assert.deepEqual(snapshotTree(byBerth, { mtimes: true, dirMtimes: true }), want);
  assert.equal(want['etc/shadow'], undefined);
  assert.deepEqual(Object.keys(want).filter((p) => p.startsWith('etc/old.d/')), ['etc/old.d/b']);
  assert.equal(want['usr/bin/su'].mode, 0o4755);
});
