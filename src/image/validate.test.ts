import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../digest/digest.js';
import type { BerthError } from '../internal/errors.js';
import { parseDescriptor } from './descriptor.js';
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_CONFIG,
  OCI_EMPTY,
  OCI_EMPTY_DATA,
  OCI_EMPTY_DIGEST,
  OCI_INDEX,
  OCI_LAYER_TAR_GZIP,
  OCI_MANIFEST,
} from './mediatype.js';
import { MAX_MANIFEST_SIZE, parseImageConfig, parseManifest } from './validate.js';

const D1 = 'sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270';
const D2 = 'sha256:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b';
const D3 = 'sha256:2c3b6f8d1a8e9f0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const ociManifest = (over: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: OCI_CONFIG, size: 1470, digest: D2 },
  layers: [
    { mediaType: OCI_LAYER_TAR_GZIP, size: 148, digest: D1 },
    { mediaType: OCI_LAYER_TAR_GZIP, size: 200, digest: D3 },
  ],
  ...over,
});
const ociIndex = (over: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, size: 7143, digest: D1, platform: { architecture: 'ppc64le', os: 'linux' } },
    { mediaType: OCI_MANIFEST, size: 7682, digest: D2, platform: { architecture: 'amd64', os: 'linux' } },
  ],
  ...over,
});

test('parseManifest reads an OCI manifest: digest, size, references, config', () => {
  const b = bytes(ociManifest({ annotations: { 'com.example.key1': 'value1' } }));
  const p = parseManifest(b, OCI_MANIFEST);
  assert.equal(p.kind, 'manifest');
  assert.equal(p.mediaType, OCI_MANIFEST);
  assert.equal(p.digest, digestOf(b));
  assert.equal(p.size, b.byteLength);
  assert.deepEqual(
    p.references.map((d) => d.digest),
    [D2, D1, D3],
  );
  assert.equal(p.config?.digest, D2);
  assert.deepEqual(p.annotations, { 'com.example.key1': 'value1' });
  assert.equal(p.manifest?.layers.length, 2);
});

test('parseManifest reads an OCI index and its children as references', () => {
  const p = parseManifest(bytes(ociIndex()));
  assert.equal(p.kind, 'index');
  assert.equal(p.mediaType, OCI_INDEX);
  assert.deepEqual(
    p.references.map((d) => d.digest),
    [D1, D2],
  );
  assert.equal(p.index?.manifests[1].platform?.architecture, 'amd64');
});

test('parseManifest accepts a content type with parameters and in another case', () => {
  const p = parseManifest(bytes(ociManifest()), 'Application/vnd.oci.image.manifest.v1+json; charset=utf-8');
  assert.equal(p.mediaType, OCI_MANIFEST);
});

test('parseManifest detects the kind by shape when mediaType is absent (OCI allows it)', () => {
  const m = ociManifest();
  delete (m as Record<string, unknown>).mediaType;
  assert.equal(parseManifest(bytes(m)).mediaType, OCI_MANIFEST);
  assert.equal(parseManifest(bytes(m), 'application/json').mediaType, OCI_MANIFEST);
  assert.equal(parseManifest(bytes(m), OCI_MANIFEST).mediaType, OCI_MANIFEST);
  const i = ociIndex();
  delete (i as Record<string, unknown>).mediaType;
  assert.equal(parseManifest(bytes(i)).mediaType, OCI_INDEX);
  assert.equal(parseManifest(bytes(i), OCI_INDEX).kind, 'index');
});

test('parseManifest reads Docker schema 2 manifests and lists', () => {
  const m = parseManifest(
    bytes({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, size: 7023, digest: D1 },
      layers: [{ mediaType: DOCKER_LAYER_GZIP, size: 32654, digest: D2 }],
    }),
    DOCKER_MANIFEST,
  );
  assert.equal(m.kind, 'manifest');
  const l = parseManifest(
    bytes({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST_LIST,
      manifests: [{ mediaType: DOCKER_MANIFEST, size: 7143, digest: D1, platform: { architecture: 'arm', os: 'linux', variant: 'v7', features: ['sse4'] } }],
    }),
  );
  assert.equal(l.kind, 'index');
  assert.equal(l.mediaType, DOCKER_MANIFEST_LIST);
});

test('parseManifest keeps artifact fields: artifactType, subject, empty config', () => {
  const p = parseManifest(
    bytes(
      ociManifest({
        artifactType: 'application/vnd.example.sbom+json',
        config: { mediaType: OCI_EMPTY, size: 2, digest: OCI_EMPTY_DIGEST, data: OCI_EMPTY_DATA },
        layers: [{ mediaType: 'application/vnd.example.sbom+json', size: 10, digest: D3 }],
        subject: { mediaType: OCI_MANIFEST, size: 7682, digest: D1 },
      }),
    ),
  );
  assert.equal(p.artifactType, 'application/vnd.example.sbom+json');
  assert.equal(p.subject?.digest, D1);
  assert.equal(digestOf('{}'), OCI_EMPTY_DIGEST);
});

test('parseManifest accepts an empty layers list and an empty index', () => {
  assert.equal(parseManifest(bytes(ociManifest({ layers: [] }))).references.length, 1);
  assert.equal(parseManifest(bytes(ociIndex({ manifests: [] }))).references.length, 0);
});

// Each invalid vector: [name, body, contentType, kind, message fragment].
const INVALID: [string, unknown, string | undefined, string, string][] = [
  ['malformed JSON', '{"schemaVersion": 2,', undefined, 'invalid-argument', 'malformed JSON'],
  ['a JSON array', '[]', undefined, 'invalid-argument', 'expected a JSON object'],
  ['a JSON string', '"manifest"', undefined, 'invalid-argument', 'expected a JSON object'],
  ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), undefined, 'invalid-argument', 'UTF-8'],
  ['schemaVersion 1 without mediaType', { schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }, undefined, 'unsupported', 'schema 1'],
  ['schema1 content type', ociManifest(), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'unsupported', 'schema 1'],
  ['schema1 body mediaType', { schemaVersion: 1, mediaType: 'application/vnd.docker.distribution.manifest.v1+json' }, undefined, 'unsupported', 'schema 1'],
  ['unknown media type', { schemaVersion: 2, mediaType: 'application/vnd.example.thing+json' }, undefined, 'unsupported', 'application/vnd.example.thing+json'],
  ['unknown content type', ociManifest({ mediaType: undefined }), 'application/vnd.example.thing+json', 'unsupported', 'vnd.example.thing'],
  ['body contradicts content type', ociManifest(), OCI_INDEX, 'invalid-argument', 'the body says'],
  ['docker body under OCI content type', ociManifest({ mediaType: DOCKER_MANIFEST }), OCI_MANIFEST, 'invalid-argument', 'the body says'],
  ['index shape under manifest content type', ociIndex({ mediaType: undefined }), OCI_MANIFEST, 'invalid-argument', 'manifests: not allowed'],
  ['manifest shape under index content type', ociManifest({ mediaType: undefined }), OCI_INDEX, 'invalid-argument', 'config: not allowed'],
  ['schemaVersion 3', ociManifest({ schemaVersion: 3 }), undefined, 'invalid-argument', 'schemaVersion: must be 2'],
  ['schemaVersion "2"', ociManifest({ schemaVersion: '2' }), undefined, 'invalid-argument', 'schemaVersion: must be 2'],
  ['schemaVersion missing', ociManifest({ schemaVersion: undefined }), undefined, 'invalid-argument', 'schemaVersion: required'],
  ['index with layers', ociIndex({ layers: [] }), undefined, 'invalid-argument', 'layers: not allowed'],
  ['index with config', ociIndex({ config: { mediaType: OCI_CONFIG, size: 1, digest: D1 } }), undefined, 'invalid-argument', 'config: not allowed'],
  ['manifest with manifests', ociManifest({ manifests: [] }), undefined, 'invalid-argument', 'manifests: not allowed'],
  ['no mediaType and both shapes', { schemaVersion: 2, manifests: [], layers: [] }, undefined, 'invalid-argument', 'neither an index nor a manifest'],
  ['no mediaType and no shape', { schemaVersion: 2 }, undefined, 'invalid-argument', 'no mediaType'],
  ['docker manifest without mediaType field', { ...ociManifest(), mediaType: undefined }, DOCKER_MANIFEST, 'invalid-argument', 'mediaType: required'],
  ['config missing', ociManifest({ config: undefined }), undefined, 'invalid-argument', 'config: required'],
  ['layers missing', ociManifest({ layers: undefined }), undefined, 'invalid-argument', 'layers: required'],
  ['layers not an array', ociManifest({ layers: {} }), undefined, 'invalid-argument', 'layers: expected an array'],
  ['manifests not an array', ociIndex({ manifests: 'x' }), undefined, 'invalid-argument', 'manifests: expected an array'],
  ['config mediaType not a media type', ociManifest({ config: { mediaType: 'invalid', size: 1470, digest: D2 } }), undefined, 'invalid-argument', 'config.mediaType'],
  [
    'layer digest malformed',
    ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: D1 }, { mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: 'sha256:xyz' }] }),
    undefined,
    'invalid-argument',
    'layers[1].digest',
  ],
  ['layer digest upper case', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: D1.toUpperCase() }] }), undefined, 'invalid-argument', 'layers[0].digest'],
  ['layer digest unknown algorithm', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: 'sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564' }] }), undefined, 'unsupported', 'layers[0].digest'],
  ['layer size negative', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: -1, digest: D1 }] }), undefined, 'invalid-argument', 'layers[0].size'],
  ['layer size a string', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: '7682', digest: D1 }] }), undefined, 'invalid-argument', 'layers[0].size'],
  ['layer size fractional', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1.5, digest: D1 }] }), undefined, 'invalid-argument', 'layers[0].size'],
  ['layer size over 2^53', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 2 ** 60, digest: D1 }] }), undefined, 'invalid-argument', 'layers[0].size'],
  ['layer size missing', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, digest: D1 }] }), undefined, 'invalid-argument', 'layers[0].size: required'],
  ['layer digest missing', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1 }] }), undefined, 'invalid-argument', 'layers[0].digest: required'],
  ['layer mediaType missing', ociManifest({ layers: [{ size: 1, digest: D1 }] }), undefined, 'invalid-argument', 'layers[0].mediaType: required'],
  ['layer a string', ociManifest({ layers: ['sha256:x'] }), undefined, 'invalid-argument', 'layers[0]: expected an object'],
  ['layer urls not URLs', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: D1, urls: ['value'] }] }), undefined, 'invalid-argument', 'layers[0].urls[0]'],
  ['layer urls not strings', ociManifest({ layers: [{ mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: D1, urls: [1] }] }), undefined, 'invalid-argument', 'layers[0].urls[0]'],
  ['annotation value a number', ociManifest({ annotations: { 'com.example.key1': 1 } }), undefined, 'invalid-argument', 'annotations."com.example.key1"'],
  ['annotations an array', ociManifest({ annotations: ['a'] }), undefined, 'invalid-argument', 'annotations: expected an object'],
  ['descriptor data not base64', ociManifest({ config: { mediaType: OCI_EMPTY, size: 2, digest: OCI_EMPTY_DIGEST, data: 'e30' } }), undefined, 'invalid-argument', 'config.data: not base64'],
  ['descriptor data of the wrong size', ociManifest({ config: { mediaType: OCI_EMPTY, size: 3, digest: OCI_EMPTY_DIGEST, data: OCI_EMPTY_DATA } }), undefined, 'invalid-argument', 'config.data: holds 2 bytes'],
  ['descriptor data of the wrong digest', ociManifest({ config: { mediaType: OCI_EMPTY, size: 2, digest: D1, data: OCI_EMPTY_DATA } }), undefined, 'invalid-argument', 'config.data: hashes to'],
  ['platform os missing', ociIndex({ manifests: [{ mediaType: OCI_MANIFEST, size: 1, digest: D1, platform: { architecture: 'amd64' } }] }), undefined, 'invalid-argument', 'manifests[0].platform.os: required'],
  ['platform variant a number', ociIndex({ manifests: [{ mediaType: OCI_MANIFEST, size: 1, digest: D1, platform: { architecture: 'arm', os: 'linux', variant: 7 } }] }), undefined, 'invalid-argument', 'platform.variant'],
  ['platform os.features not strings', ociIndex({ manifests: [{ mediaType: OCI_MANIFEST, size: 1, digest: D1, platform: { architecture: 'amd64', os: 'windows', 'os.features': [1] } }] }), undefined, 'invalid-argument', 'platform."os.features"[0]'],
  ['docker list holding a list', { schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [{ mediaType: DOCKER_MANIFEST_LIST, size: 1, digest: D1 }] }, undefined, 'invalid-argument', 'may hold only image manifests'],
  ['docker list holding a layer', { schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [{ mediaType: DOCKER_LAYER_GZIP, size: 1, digest: D1 }] }, undefined, 'invalid-argument', 'manifests[0].mediaType'],
  ['subject not a descriptor', ociManifest({ subject: { mediaType: OCI_MANIFEST } }), undefined, 'invalid-argument', 'subject.digest: required'],
  ['artifactType not a media type', ociManifest({ artifactType: 'foo/.bar' }), undefined, 'invalid-argument', 'artifactType'],
  ['body mediaType not a media type', ociManifest({ mediaType: 'manifest' }), undefined, 'invalid-argument', 'mediaType'],
];

for (const [name, body, contentType, kind, fragment] of INVALID) {
  test(`parseManifest refuses: ${name}`, () => {
    const b = Buffer.isBuffer(body) ? body : bytes(body);
    assert.throws(
      () => parseManifest(b, contentType),
      (e: BerthError) => {
        assert.equal(e.kind, kind, e.message);
        assert.ok(e.message.includes(fragment), `"${e.message}" lacks "${fragment}"`);
        return true;
      },
    );
  });
}

test('parseManifest names the field in the message: "invalid manifest: layers[2].digest: ..."', () => {
  const m = ociManifest();
  (m.layers as unknown[]).push({ mediaType: OCI_LAYER_TAR_GZIP, size: 1, digest: 'md5' });
  assert.throws(() => parseManifest(bytes(m)), /^BerthError: invalid manifest: layers\[2\]\.digest: /);
  assert.throws(() => parseManifest(bytes(m)), { message: /^invalid manifest: layers\[2\]\.digest: invalid digest "md5"/ });
});

test('parseManifest refuses more than 4 MiB before parsing', () => {
  const big = Buffer.alloc(MAX_MANIFEST_SIZE + 1, 0x20);
  assert.throws(() => parseManifest(big), (e: BerthError) => e.kind === 'resource-exhausted');
  // Exactly the limit is allowed through to parsing (and fails there, as whitespace).
  assert.throws(() => parseManifest(Buffer.alloc(MAX_MANIFEST_SIZE, 0x20)), (e: BerthError) => e.kind === 'invalid-argument');
});

test('descriptor vectors from the image-spec: long media types, zero length, data', () => {
  const long = `${'1234567890'.repeat(12)}1234567`;
  parseDescriptor({ mediaType: `${long}/${long}`, size: 7682, digest: D1 });
  assert.throws(() => parseDescriptor({ mediaType: `${long}8/bar`, size: 7682, digest: D1 }), /mediaType/);
  assert.throws(() => parseDescriptor({ mediaType: `foo/${long}8`, size: 7682, digest: D1 }), /mediaType/);
  assert.throws(() => parseDescriptor({ mediaType: '.foo/bar', size: 7682, digest: D1 }), /mediaType/);
  assert.throws(() => parseDescriptor({ mediaType: 'application', size: 7682, digest: D1 }), /mediaType/);
  parseDescriptor({ mediaType: 'application/octet-stream', size: 0, digest: digestOf('') });
  parseDescriptor({
    mediaType: 'text/plain',
    size: 34,
    data: 'aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg==',
    digest: 'sha256:2690af59371e9eca9453dc29882643f46e5ca47ec2862bd517b5e17351325153',
  });
  assert.throws(
    () =>
      parseDescriptor({
        mediaType: 'text/plain',
        size: 34,
        data: 'aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg',
        digest: 'sha256:2690af59371e9eca9453dc29882643f46e5ca47ec2862bd517b5e17351325153',
      }),
    /not base64/,
  );
  parseDescriptor({ mediaType: OCI_MANIFEST, size: 1, digest: D1, urls: ['https://example.com/foo'] });
});

const config = (over: Record<string, unknown> = {}) => ({
  created: '2015-10-31T22:22:56.015925234Z',
  author: 'Alyssa P. Hacker <alyspdev@example.com>',
  architecture: 'amd64',
  os: 'linux',
  config: {
    User: 'alice',
    ExposedPorts: { '8080/tcp': {} },
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'FOO=oci_is_a'],
    Entrypoint: ['/bin/my-app-binary'],
    Cmd: ['--foreground', '--config', '/etc/my-app.d/default.cfg'],
    Volumes: { '/var/job-result-data': {}, '/var/log/my-app-logs': {} },
    WorkingDir: '/home/alice',
    Labels: { 'com.example.project.git.url': 'https://example.com/project.git' },
    StopSignal: 'SIGTERM',
    ArgsEscaped: true,
    Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 30000000000, Retries: 3 },
    OnBuild: null,
    Shell: ['/bin/sh', '-c'],
  },
  rootfs: { diff_ids: [D1, D2], type: 'layers' },
  history: [
    { created: '2015-10-31T22:22:54.690851953Z', created_by: '/bin/sh -c #(nop) ADD file:a3bc1e842b69636f9df5256c49c5374fb4eef1e281fe3f282c65fb853ee171c5 in /' },
    { created: '2015-10-31T22:22:55.613815829Z', created_by: '/bin/sh -c #(nop) CMD ["sh"]', empty_layer: true },
    { created: '2015-10-31T22:22:56.329850019Z', created_by: '/bin/sh -c apk add curl' },
  ],
  ...over,
});

test('parseImageConfig reads the image-spec example with Docker extras', () => {
  const c = parseImageConfig(bytes(config({ docker_version: '20.10.0', container_config: { Cmd: null, Env: null } })));
  assert.equal(c.architecture, 'amd64');
  assert.deepEqual(c.rootfs.diff_ids, [D1, D2]);
  assert.equal(c.config?.Healthcheck?.Retries, 3);
  assert.equal(c.docker_version, '20.10.0');
});

const INVALID_CONFIGS: [string, unknown, string][] = [
  ['architecture missing', config({ architecture: undefined }), 'architecture: required'],
  ['os a number', config({ os: 1 }), 'os: expected a string'],
  ['rootfs missing', config({ rootfs: undefined }), 'rootfs: required'],
  ['rootfs type wrong', config({ rootfs: { type: 'layer', diff_ids: [] } }), 'rootfs.type: must be "layers"'],
  ['diff_ids missing', config({ rootfs: { type: 'layers' } }), 'rootfs.diff_ids: required'],
  ['diff_id malformed', config({ rootfs: { type: 'layers', diff_ids: [D1, 'sha256:1'] } }), 'rootfs.diff_ids[1]'],
  ['history not an array', config({ history: {} }), 'history: expected an array'],
  ['history empty_layer a string', config({ history: [{ empty_layer: 'true' }] }), 'history[0].empty_layer'],
  ['created not a date', config({ created: 'yesterday' }), 'created'],
  ['Env not strings', config({ config: { Env: [1] } }), 'config.Env[0]'],
  ['Cmd a string', config({ config: { Cmd: 'sh' } }), 'config.Cmd: expected an array'],
  ['ExposedPorts an array', config({ config: { ExposedPorts: ['80/tcp'] } }), 'config.ExposedPorts'],
  ['Volumes values not objects', config({ config: { Volumes: { '/v': true } } }), 'config.Volumes."/v"'],
  ['Labels values not strings', config({ config: { Labels: { a: 1 } } }), 'config.Labels.a'],
  ['ArgsEscaped a string', config({ config: { ArgsEscaped: 'yes' } }), 'config.ArgsEscaped'],
  ['Healthcheck Interval a string', config({ config: { Healthcheck: { Interval: '30s' } } }), 'config.Healthcheck.Interval'],
  ['not an object', [], 'expected a JSON object'],
];

for (const [name, body, fragment] of INVALID_CONFIGS) {
  test(`parseImageConfig refuses: ${name}`, () => {
    assert.throws(
      () => parseImageConfig(bytes(body)),
      (e: BerthError) => {
        assert.equal(e.kind, 'invalid-argument');
        assert.ok(e.message.startsWith('invalid image config'), e.message);
        assert.ok(e.message.includes(fragment), `"${e.message}" lacks "${fragment}"`);
        return true;
      },
    );
  });
}
