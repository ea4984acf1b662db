import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { familiarName, familiarString, isShortName, parseCanonicalReference, parseNormalizedReference, referenceFormatError } from './normalize.js';
import { fullString, parseReference, referenceName, withDefaultTag } from './reference.js';

// Vectors from distribution's normalize_test.go.
const VALID_NAMES = [
  'docker/docker',
  'library/debian',
  'debian',
  'docker.io/docker/docker',
  'docker.io/library/debian',
  'docker.io/debian',
  'index.docker.io/docker/docker',
  'index.docker.io/library/debian',
  'index.docker.io/debian',
  '127.0.0.1:5000/docker/docker',
  '127.0.0.1:5000/library/debian',
  '127.0.0.1:5000/debian',
  '192.168.0.1',
  '192.168.0.1:80',
  '192.168.0.1:8/debian',
  '192.168.0.2:25000/debian',
  'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
  '[fc00::1]:5000/docker',
  '[fc00::1]:5000/docker/docker',
  '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
  'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'Docker/docker',
  'DOCKER/docker',
  'docker-rules/docker',
  'docker---rules/docker',
  'doc/docker',
  'd/docker',
  'jess/t',
  'dock__er/docker',
];

const INVALID_NAMES = [
  'https://github.com/docker/docker',
  'docker/Docker',
  '-docker',
  '-docker/docker',
  '-docker.io/docker/docker',
  'docker///docker',
  'docker.io/docker/Docker',
  'docker.io/docker///docker',
  '[fc00::1]',
  '[fc00::1]:5000',
  'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian',
  '[2001:db8:3:4::192.0.2.33]:5000/debian',
  '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'docker-/docker',
  '-docker-/docker',
  '____/____',
  '_docker/_docker',
  'dock..er/docker',
  'dock_.er/docker',
  'dock-.er/docker',
  'docker/',
  `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
  'a_b.com/foo',
];

test('parseNormalizedReference accepts the valid names of normalize_test.go', () => {
  for (const name of VALID_NAMES) assert.doesNotThrow(() => parseNormalizedReference(name), name);
});

for (const name of INVALID_NAMES) {
  test(`parseNormalizedReference refuses ${name.slice(0, 70)}`, () => {
    assert.throws(
      () => parseNormalizedReference(name),
      (e: unknown) => isBerthError(e) && /^invalid reference "/.test((e as Error).message),
    );
  });
}

test('a 64-hex name is refused as ambiguous with an image ID', () => {
  assert.throws(
    () => parseNormalizedReference('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'),
    /cannot be 64 hexadecimal characters \(it would be ambiguous with an image ID\)/,
  );
  assert.equal(fullString(parseNormalizedReference('dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9')), 'docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9');
});

test('upper case in a repository names the repository', () => {
  assert.throws(() => parseNormalizedReference('docker/Docker:tag'), /invalid reference "docker\/Docker:tag": repository name "docker\/Docker" must be lowercase/);
  assert.throws(() => parseNormalizedReference('Fedora'), /repository name "library\/Fedora" must be lowercase/);
});

// TestParseRepositoryInfo: [path, familiar, full, ambiguous, domain].
const REPOSITORY_INFO: Array<[string, string, string, string, string]> = [
  ['fooo/bar', 'fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io'],
  ['library/ubuntu', 'ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io'],
  ['nonlibrary/ubuntu', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io'],
  ['other/library', 'other/library', 'docker.io/other/library', '', 'docker.io'],
  ['private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000'],
  ['privatebase', '127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', '', '127.0.0.1:8000'],
  ['private/moonbase', 'example.com/private/moonbase', 'example.com/private/moonbase', '', 'example.com'],
  ['privatebase', 'example.com/privatebase', 'example.com/privatebase', '', 'example.com'],
  ['private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', '', 'example.com:8000'],
  ['privatebasee', 'example.com:8000/privatebasee', 'example.com:8000/privatebasee', '', 'example.com:8000'],
  ['library/ubuntu-12.04-base', 'ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base', 'docker.io'],
  ['library/foo', 'foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io'],
  ['library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io'],
  ['store/foo/bar', 'store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io'],
  ['bar', 'Foo/bar', 'Foo/bar', '', 'Foo'],
  ['bar', 'FOO/bar', 'FOO/bar', '', 'FOO'],
];

test('familiar, full and ambiguous names agree (TestParseRepositoryInfo)', () => {
  for (const [path, familiar, full, ambiguous, domain] of REPOSITORY_INFO) {
    for (const input of [familiar, full, ambiguous].filter((s) => s !== '')) {
      const ref = parseNormalizedReference(input);
      assert.equal(familiarName(ref), familiar, input);
      assert.equal(referenceName(ref), full, input);
      assert.equal(ref.registry, domain, input);
      assert.equal(ref.repository, path, input);
    }
  }
});

test('a tag and a digest together survive normalization (TestParseReferenceWithTagAndDigest)', () => {
  const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
  const ref = parseNormalizedReference(short);
  assert.equal(fullString(ref), `docker.io/library/${short}`);
  assert.equal(familiarString(ref), short);
});

test('normalized names become the strict parse of their full form (TestParseAnyReference)', () => {
  const d = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
  const cases: Array<[string, string]> = [
    ['redis', 'docker.io/library/redis'],
    ['redis:latest', 'docker.io/library/redis:latest'],
    ['docker.io/library/redis:latest', 'docker.io/library/redis:latest'],
    [`redis@${d}`, `docker.io/library/redis@${d}`],
    [`docker.io/library/redis@${d}`, `docker.io/library/redis@${d}`],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp'],
    ['dmcgowan/myapp:latest', 'docker.io/dmcgowan/myapp:latest'],
    ['docker.io/mcgowan/myapp:latest', 'docker.io/mcgowan/myapp:latest'],
    [`dmcgowan/myapp@${d}`, `docker.io/dmcgowan/myapp@${d}`],
    ['dbcc1', 'docker.io/library/dbcc1'],
  ];
  for (const [input, full] of cases) {
    const ref = parseNormalizedReference(input);
    assert.equal(fullString(ref), full, input);
    assert.deepEqual(ref, parseReference(full), input);
  }
});

test('domain and path split (TestNormalizedSplitHostname)', () => {
  const cases: Array<[string, string, string]> = [
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
    ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
    ['localhost/foo', 'localhost', 'foo'],
    ['localhost:5000/foo:1', 'localhost:5000', 'foo'],
    ['[::1]:5000/foo', '[::1]:5000', 'foo'],
  ];
  for (const [input, registry, repository] of cases) {
    const ref = parseNormalizedReference(input);
    assert.equal(ref.registry, registry, input);
    assert.equal(ref.repository, repository, input);
  }
});

test('parseCanonicalReference refuses names that normalization would change (TestParseNamed)', () => {
  assert.equal(parseCanonicalReference('test.com/foo').repository, 'foo');
  assert.equal(parseCanonicalReference('test:8080/foo').registry, 'test:8080');
  assert.equal(parseCanonicalReference('docker.io/library/foo').repository, 'library/foo');
  for (const bad of ['test_com/foo', 'test.com', 'foo', 'library/foo', 'docker.io/foo']) {
    assert.throws(() => parseCanonicalReference(bad), /must be canonical/, bad);
  }
});

test('familiarString is docker short display', () => {
  assert.equal(familiarString(withDefaultTag(parseNormalizedReference('fedora'))), 'fedora:latest');
  assert.equal(familiarString(parseNormalizedReference('docker.io/user/app')), 'user/app');
  assert.equal(familiarString(parseNormalizedReference('quay.io/fedora/fedora:39')), 'quay.io/fedora/fedora:39');
  assert.equal(familiarString(parseNormalizedReference('docker.io/library/a/b')), 'library/a/b');
  assert.equal(familiarString(parseReference('foo:1')), 'foo:1');
});

test('isShortName follows splitDockerDomain (and containers/image TestIsShortName)', () => {
  const d = '@sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a';
  for (const s of ['fedora', 'fedora:latest', 'library/fedora', 'library/fedora:latest', `busybox${d}`, `busybox:latest${d}`, 'localhost', 'example.com', 'foo:5000']) {
    assert.equal(isShortName(s), true, s);
  }
  for (const s of ['quay.io/fedora', 'docker.io/fedora', 'docker.io/library/fedora:latest', 'localhost/fedora', 'localhost:5000/fedora:latest', 'example.foo.this.may.be.garbage.but.maybe.not:1234/fedora:latest', `docker.io/library/busybox${d}`, `docker.io/fedora${d}`, 'Foo/bar', '[::1]:5000/x']) {
    assert.equal(isShortName(s), false, s);
  }
});

// Each as docker 28's client said it for `docker commit C REF`, `docker tag` and `docker import`.
test("a reference docker's client cannot parse, in its words", () => {
  assert.equal(referenceFormatError('Bad/Name'), 'invalid reference format: repository name (Name) must be lowercase');
  assert.equal(referenceFormatError('Up'), 'invalid reference format: repository name (library/Up) must be lowercase');
  assert.equal(referenceFormatError('me/Up:tag'), 'invalid reference format: repository name (me/Up) must be lowercase');
  assert.equal(referenceFormatError('x:y:z'), 'invalid reference format');
  assert.equal(referenceFormatError('-x'), 'invalid reference format');
});
