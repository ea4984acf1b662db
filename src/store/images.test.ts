import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Digest, digestOf } from '../digest/digest.js';
import { type ImageRecord, repoOf, resolveIn } from './images.js';
import { normalizeName } from './store.js';

function image(id: string, names: string[] = [], digests: string[] = []): ImageRecord {
  const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(`m-${id}`), size: 1 };
  return { id: id as Digest, names, digests, manifest: desc, config: { ...desc, digest: id as Digest }, layers: [], size: 0, addedAt: '' };
}

const A = image(`sha256:abc1${'0'.repeat(60)}`, ['docker.io/library/alpine:3'], ['docker.io/library/alpine@sha256:' + 'd'.repeat(64)]);
const B = image(`sha256:abc2${'0'.repeat(60)}`, ['quay.io/x/y:latest']);
const C = image(`sha256:${'f'.repeat(64)}`, ['docker.io/library/abc1:latest']);
const ALL = [A, B, C];
const opts = { normalize: normalizeName };

test('resolve by name, familiar name, full ID, bare hex, short ID and name@digest', () => {
  assert.equal(resolveIn(ALL, 'alpine:3', opts), A);
  assert.equal(resolveIn(ALL, 'docker.io/library/alpine:3', opts), A);
  assert.equal(resolveIn(ALL, 'quay.io/x/y', opts), B);
  assert.equal(resolveIn(ALL, A.id, opts), A);
  assert.equal(resolveIn(ALL, A.id.slice(7), opts), A);
  assert.equal(resolveIn(ALL, 'abc2', opts), B);
  assert.equal(resolveIn(ALL, 'sha256:abc2', opts), B);
  assert.equal(resolveIn(ALL, `alpine@sha256:${'d'.repeat(64)}`, opts), A);
  assert.equal(resolveIn(ALL, A.manifest.digest, opts), A);
  assert.equal(resolveIn(ALL, `alpine@${A.manifest.digest}`, opts), A);
});

test('a name wins over a short ID that looks the same (docker\'s order)', () => {
  assert.equal(resolveIn(ALL, 'abc1', opts), C);
});

test('an ambiguous short ID is a clear error naming the candidates', () => {
  assert.throws(
    () => resolveIn(ALL, 'abc', opts),
    (e: { kind?: string; message: string }) => e.kind === 'invalid-argument' && /matches 2 images \(abc100000000, abc200000000\)/.test(e.message),
  );
});

test('unknown names, digests of other repositories and empty input fail clearly', () => {
  assert.throws(() => resolveIn(ALL, 'nope', opts), (e: { kind?: string; message: string }) => e.kind === 'not-found' && e.message === 'No such image: nope:latest');
  assert.throws(() => resolveIn(ALL, `other@${A.manifest.digest}`, opts), (e: { kind?: string }) => e.kind === 'not-found');
  assert.throws(() => resolveIn(ALL, '  ', opts), (e: { kind?: string }) => e.kind === 'invalid-argument');
  assert.throws(() => resolveIn(ALL, 'ABC', opts), (e: { kind?: string }) => e.kind === 'not-found');
});

test('repoOf strips tags and digests but not registry ports', () => {
  assert.equal(repoOf('localhost:5000/a/b:1'), 'localhost:5000/a/b');
  assert.equal(repoOf('localhost:5000/a/b'), 'localhost:5000/a/b');
  assert.equal(repoOf(`x/y@sha256:${'a'.repeat(64)}`), 'x/y');
  assert.equal(normalizeName('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeName('Bad Name'), undefined);
});
