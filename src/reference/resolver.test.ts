import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { parseCanonicalReference } from './normalize.js';
import { fullString } from './reference.js';
import { parseRegistriesConf } from './registries-conf.js';
import { emptyRegistriesConfig, mergeRegistriesConf, registriesConfigFromText } from './registries-load.js';
import { findRegistry, isLoopbackRegistry, prefixMatchLength, pullEndpoints, resolveLocalCandidates, resolvePullCandidates, resolvePushTarget } from './resolver.js';
import { DROP_INS, FIND_REGISTRY } from './testdata.js';

const SHA = '@sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a';
const A64 = `sha256:${'a'.repeat(64)}`;

test('prefixMatchLength: literal prefixes (TestRefMatchingPrefix)', () => {
  const cases: Array<[string, string, number]> = [
    ['docker.io', 'docker.io', 9],
    ['docker.io', 'example.com', -1],
    ['example.com:5000', 'example.com:5000', 16],
    ['example.com:50000', 'example.com:5000', -1],
    ['example.com:5000', 'example.com', 11],
    ['example.com/foo', 'example.com', 11],
    ['example.com/foo/bar:baz', 'example.com', 11],
    [`example.com/foo/bar@${A64}`, 'example.com', 11],
    ['docker.io', 'docker.io/library', -1],
    ['docker.io/library', 'docker.io/library', 17],
    ['docker.io/libraryy', 'docker.io/library', -1],
    ['docker.io/library/busybox', 'docker.io/library', 17],
    ['docker.io/library/busybox2', 'docker.io/library/busybox', -1],
    ['example.com/foo', 'example.com/foo:bar', -1],
    ['example.com/foo:bar', 'example.com/foo:bar', 19],
    ['example.com/foo:bar2', 'example.com/foo:bar', -1],
    [`example.com/foo@${A64}`, `example.com/foo@${A64}`, 16 + A64.length],
    [`example.com/foo@sha256:${'b'.repeat(64)}`, `example.com/foo@${A64}`, -1],
    ['example.com/foo', '*', -1],
  ];
  for (const [ref, prefix, want] of cases) assert.equal(prefixMatchLength(ref, prefix), want, `${ref} vs ${prefix}`);
});

test('prefixMatchLength: wildcard prefixes (TestRefMatchingSubdomainPrefix)', () => {
  const cases: Array<[string, string, number]> = [
    ['docker.io', '*.io', 9],
    ['docker.io/foo', '*.com', -1],
    ['example.com/foo', '*.co', -1],
    ['example.com/foo', '*.example.com', -1],
    ['example.com/foo', '*.com', 11],
    ['example.com/foo/bar:baz', '*.com', 11],
    ['yet.another.example.com/foo/bar', '*.another.example.com', 23],
    ['another.example.com/namespace.com/foo/bar/bbq:baz', '*.example.com', 19],
    ['example.net/namespace-ends-in.com/foo/bar/bbq:baz', '*.com', -1],
    ['another.example.com/namespace.com/foo/bar/bbq:baz', '*.namespace.com', -1],
    ['sub.example.com/foo/bar', '*.com', 15],
    ['another.sub.example.com/foo/bar/bbq:baz', '*.sub.example.com', 23],
    [`yet.another.sub.example.com/foo/bar@${A64}`, '*.sub.example.com', 27],
  ];
  for (const [ref, prefix, want] of cases) assert.equal(prefixMatchLength(ref, prefix), want, `${ref} vs ${prefix}`);
});

test('findRegistry picks the longest prefix, drop-ins included (TestFindRegistry)', () => {
  const files = [parseRegistriesConf(FIND_REGISTRY, 'find-registry.conf')];
  for (const [name, text] of Object.entries(DROP_INS)) if (name.endsWith('.conf')) files.push(parseRegistriesConf(text, name, { dropIn: true }));
  const c = mergeRegistriesConf(files);
  assert.equal(c.registries.length, 19);
  const cases: Array<[string, string | undefined]> = [
    ['simple-prefix.com/foo/bar:latest', 'registry.com:5000'],
    ['simple-prefix.com/', 'registry.com:5000'],
    ['simple-prefix.com', 'registry.com:5000'],
    ['not.so.simple-prefix.com/', 'subdomain-prefix.com'],
    ['not.quite.simple-prefix.com/', 'subdomain-prefix-2.com'],
    ['not.quite.simple-prefix.com:5000/with/path/and/beyond:tag', 'subdomain-prefix-2.com'],
    ['really.not.quite.simple-prefix.com:5000/with/path/and/beyond:tag', 'subdomain-prefix-1-overridden-by-dropin-location.com'],
    ['foo.docker.io:5000/omg/wtf/bbq:foo', 'subdomain-prefix-2.com'],
    [`foo.bar.example.com:6000/omg/wtf/bbq@${A64}`, 'subdomain-prefix-3-overridden-by-dropin-location.com'],
    ['foo.bar.docker.io:5000/omg/wtf/bbq:foo', 'subdomain-prefix-4.com'],
    ['foo.bar.example.com:5000/omg/wtf/bbq:foo', 'subdomain-prefix-5.com'],
    ['simple-prefix.comx', undefined],
    ['complex-prefix.com:4000/with/path/and/beyond:tag', 'another-registry.com:5000'],
    ['no-prefix.com/foo:tag', 'no-prefix.com'],
    ['empty-prefix.com/foo:tag', 'empty-prefix.com'],
  ];
  for (const [ref, location] of cases) assert.equal(findRegistry(c, ref)?.location, location, ref);
});

test('pullEndpoints rewrites prefixes onto locations (TestRewriteReferenceSuccess)', () => {
  const cases: Array<[string, string, string, string]> = [
    ['example.com/image:latest', 'example.com', 'example.com', 'example.com/image:latest'],
    ['example.com:5000/image:latest', 'example.com:5000', 'example.com:5000', 'example.com:5000/image:latest'],
    [`example.com/foo@${A64}`, 'example.com', 'example.com', `example.com/foo@${A64}`],
    ['example.com/foo/image:latest', 'example.com/foo', 'example.com', 'example.com/image:latest'],
    ['example.com/foo/image:latest', 'example.com/foo', 'example.com/path', 'example.com/path/image:latest'],
    ['docker.io/library/image:latest', 'docker.io', 'docker.io', 'docker.io/library/image:latest'],
    ['docker.io/library/image:latest', 'docker.io/library', 'example.com', 'example.com/image:latest'],
    ['docker.io/library/image:latest', 'docker.io', 'example.com', 'example.com/library/image:latest'],
    ['docker.io/library/prefix/image:latest', 'docker.io/library/prefix', 'example.com', 'example.com/image:latest'],
    ['docker.io/namespace/image:latest', '*.io', 'example.com', 'example.com/namespace/image:latest'],
    ['another.sub.example.io:5000/library/prefix/image:latest', '*.sub.example.io', 'example.com', 'example.com:5000/library/prefix/image:latest'],
    ['foo.bar.io/ns1/ns2/ns3/ns4:latest', '*.bar.io', 'omg.bbq.com/roflmao', 'omg.bbq.com/roflmao/ns1/ns2/ns3/ns4:latest'],
    ['abc.internal.registry.com/foo:bar', '*.internal.registry.com', '', 'abc.internal.registry.com/foo:bar'],
    ['alien.vs.predator.foobar.io:5000/omg:bbq', '*.foobar.io', '', 'alien.vs.predator.foobar.io:5000/omg:bbq'],
  ];
  for (const [input, prefix, location, want] of cases) {
    const c = registriesConfigFromText(`[[registry]]\nprefix = "${prefix}"\n${location ? `location = "${location}"` : ''}\n`);
    const eps = pullEndpoints(parseCanonicalReference(input), c);
    assert.equal(eps.length, 1, input);
    assert.equal(fullString(eps[0].reference), want, input);
    assert.equal(eps[0].mirror, false);
  }
});

test('a rewrite into a non-canonical name is an error (TestRewriteReferenceFailedDuringParseNamed)', () => {
  const c = registriesConfigFromText('[[registry]]\nprefix = "example.com/foo"\nlocation = "docker.io"\n');
  assert.throws(() => pullEndpoints(parseCanonicalReference('example.com/foo/image:latest'), c), /cannot rewrite example\.com\/foo\/image:latest from prefix "example\.com\/foo" to location "docker\.io": .*must be canonical/);
});

// TestPullSourcesFromReference with pull-sources-from-reference.conf: [prefix, digest endpoints, tag endpoints].
const MIRRORS = `
[[registry]]
prefix = "registry-a.com/foo"
location = "registry-a.com/bar"
[[registry.mirror]]
location = "mirror-1.registry-a.com"
[[registry.mirror]]
location = "mirror-2.registry-a.com"
insecure = true
[[registry]]
prefix = "registry-b.com/foo"
location = "registry-b.com/bar"
mirror-by-digest-only = true
[[registry.mirror]]
location = "mirror-1.registry-b.com"
[[registry.mirror]]
location = "mirror-2.registry-b.com"
[[registry]]
prefix = "registry-c.com/baz"
location = "registry-c.com/bar"
[[registry.mirror]]
location = "mirror-1.registry-c.com"
[[registry.mirror]]
pull-from-mirror = "digest-only"
location = "mirror-2.registry-c.com"
[[registry]]
prefix = "registry-e.com/baz"
location = "registry-e.com/bar"
[[registry.mirror]]
pull-from-mirror = "tag-only"
location = "mirror-1.registry-e.com"
[[registry.mirror]]
pull-from-mirror = "tag-only"
location = "mirror-2.registry-e.com"
[[registry]]
prefix = "registry-g.com/baz"
location = "registry-g.com/bar"
[[registry.mirror]]
pull-from-mirror = "digest-only"
location = "mirror-1.registry-g.com"
[[registry.mirror]]
pull-from-mirror = "tag-only"
location = "mirror-2.registry-g.com"
[[registry.mirror]]
location = "mirror-3.registry-g.com"
[[registry.mirror]]
pull-from-mirror = "all"
location = "mirror-4.registry-g.com"
`;

test('mirrors come first, filtered by pull-from-mirror and mirror-by-digest-only', () => {
  const c = registriesConfigFromText(MIRRORS);
  const cases: Array<[string, string[], boolean[], string[], boolean[]]> = [
    ['registry-a.com/foo', ['mirror-1.registry-a.com', 'mirror-2.registry-a.com', 'registry-a.com/bar'], [false, true, false], ['mirror-1.registry-a.com', 'mirror-2.registry-a.com', 'registry-a.com/bar'], [false, true, false]],
    ['registry-b.com/foo', ['mirror-1.registry-b.com', 'mirror-2.registry-b.com', 'registry-b.com/bar'], [false, false, false], ['registry-b.com/bar'], [false]],
    ['registry-c.com/baz', ['mirror-1.registry-c.com', 'mirror-2.registry-c.com', 'registry-c.com/bar'], [false, false, false], ['mirror-1.registry-c.com', 'registry-c.com/bar'], [false, false]],
    ['registry-e.com/baz', ['registry-e.com/bar'], [false], ['mirror-1.registry-e.com', 'mirror-2.registry-e.com', 'registry-e.com/bar'], [false, false, false]],
    ['registry-g.com/baz', ['mirror-1.registry-g.com', 'mirror-3.registry-g.com', 'mirror-4.registry-g.com', 'registry-g.com/bar'], [false, false, false, false], ['mirror-2.registry-g.com', 'mirror-3.registry-g.com', 'mirror-4.registry-g.com', 'registry-g.com/bar'], [false, false, false, false]],
  ];
  for (const [prefix, digestLocs, digestInsecure, tagLocs, tagInsecure] of cases) {
    for (const [suffix, locs, insecure] of [[`@${A64}`, digestLocs, digestInsecure], [':aaa', tagLocs, tagInsecure]] as const) {
      const eps = pullEndpoints(parseCanonicalReference(`${prefix}/image${suffix}`), c);
      assert.deepEqual(eps.map((e) => e.location), locs, prefix + suffix);
      assert.deepEqual(eps.map((e) => fullString(e.reference)), locs.map((l) => `${l}/image${suffix}`), prefix + suffix);
      assert.deepEqual(eps.map((e) => e.insecure), insecure, prefix + suffix);
      assert.deepEqual(eps.map((e) => e.mirror), locs.map((_, i) => i < locs.length - 1), prefix + suffix);
    }
  }
});

test('the man page example: mirrors, then the rewritten primary', () => {
  const c = registriesConfigFromText(`unqualified-search-registries = ["example.com"]
[[registry]]
prefix = "example.com/foo"
location = "internal-registry-for-example.com/bar"
[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"
[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true
[[registry]]
location = "registry.com"
[[registry.mirror]]
location = "mirror.registry.com"
`);
  const [cand] = resolvePullCandidates('example.com/foo/image:latest', c);
  assert.deepEqual(cand.endpoints.map((e) => fullString(e.reference)), ['example-mirror-0.local/mirror-for-foo/image:latest', 'example-mirror-1.local/mirrors/foo/image:latest', 'internal-registry-for-example.com/bar/image:latest']);
  assert.deepEqual(resolvePullCandidates('registry.com/image', c)[0].endpoints.map((e) => fullString(e.reference)), ['mirror.registry.com/image:latest', 'registry.com/image:latest']);
  assert.deepEqual(resolvePullCandidates('foo/image', c)[0].endpoints.map((e) => fullString(e.reference)), [
    'example-mirror-0.local/mirror-for-foo/image:latest',
    'example-mirror-1.local/mirrors/foo/image:latest',
    'internal-registry-for-example.com/bar/image:latest',
  ]);
});

const ALIASES = 'short-name-mode="enforcing"\n[aliases]\ndocker="docker.io/library/foo"\n"quay/foo"="quay.io/library/foo"\nexample="example.com/library/foo"\nempty=""\n';

test('aliases resolve with the user tag or digest (TestResolve)', () => {
  const c = registriesConfigFromText(ALIASES, 'aliases.conf');
  const cases: Array<[string, string]> = [
    ['docker', 'docker.io/library/foo:latest'],
    ['docker:tag', 'docker.io/library/foo:tag'],
    [`docker${SHA}`, `docker.io/library/foo${SHA}`],
    ['quay/foo', 'quay.io/library/foo:latest'],
    ['quay/foo:tag', 'quay.io/library/foo:tag'],
    [`quay/foo${SHA}`, `quay.io/library/foo${SHA}`],
    ['example', 'example.com/library/foo:latest'],
    ['example:tag', 'example.com/library/foo:tag'],
  ];
  for (const [input, want] of cases) {
    const got = resolvePullCandidates(input, c);
    assert.equal(got.length, 1, input);
    assert.equal(fullString(got[0].reference), want, input);
    assert.equal(got[0].fromAlias, true);
    assert.equal(got[0].origin, 'aliases.conf');
  }
  assert.throws(() => resolvePullCandidates('doesnotexist', c), (e: unknown) => isBerthError(e, 'invalid-argument') && /cannot resolve short name "doesnotexist": no alias matches it and no unqualified-search-registries are defined in aliases\.conf/.test((e as Error).message));
  assert.throws(() => resolvePullCandidates('', c), /invalid reference ""/);
  assert.throws(() => resolvePullCandidates('Invalid#$', c), /invalid reference "Invalid#\$"/);
  assert.equal(fullString(resolvePullCandidates('quay.io/repo/fedora', c)[0].reference), 'quay.io/repo/fedora:latest');
  assert.equal(fullString(resolvePullCandidates('localhost/repo/fedora:sometag', c)[0].reference), 'localhost/repo/fedora:sometag');
});

const NO_REG = '[aliases]\n"repo/image"="quay.io/repo/image"\n';
const ONE_REG = 'unqualified-search-registries=["quay.io"]\n[aliases]\n"repo/image"="quay.io/repo/image"\n';
const TWO_REG = 'unqualified-search-registries=["quay.io", "registry.com"]\n[aliases]\n"repo/image"="quay.io/repo/image"\n';

test('short-name modes without a terminal (TestResolveWithVaryingShortNameModes)', () => {
  const cases: Array<[string, string, string, number | 'error']> = [];
  for (const mode of ['permissive', 'disabled', 'enforcing']) {
    cases.push([NO_REG, mode, 'repo/image', 1], [ONE_REG, mode, 'repo/image', 1], [TWO_REG, mode, 'repo/image', 1]);
    cases.push([NO_REG, mode, 'doesnotexist', 'error'], [ONE_REG, mode, 'doesnotexist', 1], [TWO_REG, mode, 'doesnotexist', mode === 'enforcing' ? 'error' : 2]);
  }
  for (const [text, mode, input, want] of cases) {
    const c = registriesConfigFromText(`short-name-mode="${mode}"\n${text}`, 'two-reg.conf');
    if (want === 'error') assert.throws(() => resolvePullCandidates(input, c), (e: unknown) => isBerthError(e, 'invalid-argument'), `${mode} ${input}`);
    else assert.equal(resolvePullCandidates(input, c).length, want, `${mode} ${input}`);
  }
});

test('enforcing ambiguity lists the candidates', () => {
  const c = registriesConfigFromText(`short-name-mode="enforcing"\n${TWO_REG}`, '/etc/containers/registries.conf');
  assert.throws(() => resolvePullCandidates('foo', c), /short-name-mode is "enforcing" and it could mean any of quay\.io\/foo:latest, registry\.com\/foo:latest \(unqualified-search-registries in \/etc\/containers\/registries\.conf\)/);
});

test('search registries give one candidate each, in order (TestResolveAndRecord)', () => {
  const c = registriesConfigFromText(TWO_REG, 'two-reg.conf');
  const cases: Array<[string, string[]]> = [
    ['foo', ['quay.io/foo:latest', 'registry.com/foo:latest']],
    ['foo:tag', ['quay.io/foo:tag', 'registry.com/foo:tag']],
    [`foo${SHA}`, [`quay.io/foo${SHA}`, `registry.com/foo${SHA}`]],
    ['repo/foo', ['quay.io/repo/foo:latest', 'registry.com/repo/foo:latest']],
  ];
  for (const [input, want] of cases) {
    const got = resolvePullCandidates(input, c);
    assert.deepEqual(got.map((x) => fullString(x.reference)), want, input);
    assert.ok(got.every((x) => x.fromAlias === undefined && x.origin === 'two-reg.conf'));
  }
  const hub = registriesConfigFromText('unqualified-search-registries=["docker.io"]');
  assert.equal(fullString(resolvePullCandidates('alpine', hub)[0].reference), 'docker.io/library/alpine:latest');
});

test('dockerHub resolution ignores aliases and search registries', () => {
  const c = registriesConfigFromText(TWO_REG);
  assert.deepEqual(resolvePullCandidates('repo/image', c, { dockerHub: true }).map((x) => fullString(x.reference)), ['docker.io/repo/image:latest']);
  assert.deepEqual(resolvePullCandidates('busybox', emptyRegistriesConfig(), { dockerHub: true }).map((x) => fullString(x.reference)), ['docker.io/library/busybox:latest']);
});

test('a blocked registry is denied, naming the prefix and the file', () => {
  const c = mergeRegistriesConf([parseRegistriesConf('unqualified-search-registries=["quay.io", "blocked.io"]\n', 'main.conf'), parseRegistriesConf('[[registry]]\nprefix = "blocked.io"\nlocation = "blocked.io"\nblocked = true\n', '/etc/containers/registries.conf.d/50-block.conf', { dropIn: true })]);
  assert.throws(
    () => resolvePullCandidates('blocked.io/x', c),
    (e: unknown) => isBerthError(e, 'denied') && (e as Error).message === 'cannot pull blocked.io/x:latest: registry "blocked.io" is blocked in /etc/containers/registries.conf.d/50-block.conf',
  );
  assert.deepEqual(resolvePullCandidates('x', c).map((x) => fullString(x.reference)), ['quay.io/x:latest'], 'blocked search candidates are dropped');
  const onlyBlocked = mergeRegistriesConf([parseRegistriesConf('unqualified-search-registries=["blocked.io"]\n[[registry]]\nlocation = "blocked.io"\nblocked = true\n', 'b.conf')]);
  assert.throws(() => resolvePullCandidates('x', onlyBlocked), (e: unknown) => isBerthError(e, 'denied'));
  assert.throws(() => resolvePushTarget('blocked.io/x', c), /cannot push blocked\.io\/x:latest: registry "blocked\.io" is blocked in/);
  const wildcard = registriesConfigFromText('[[registry]]\nprefix = "*.evil.example"\nblocked = true\n', 'w.conf');
  assert.throws(() => resolvePullCandidates('a.b.evil.example/x@' + A64, wildcard), /registry "\*\.evil\.example" is blocked in w\.conf/);
});

test('a mirror that another table blocks is skipped', () => {
  const c = registriesConfigFromText('[[registry]]\nlocation = "r.com"\n[[registry.mirror]]\nlocation = "bad-mirror.com"\n[[registry]]\nlocation = "bad-mirror.com"\nblocked = true\n');
  assert.deepEqual(pullEndpoints(parseCanonicalReference('r.com/x:1'), c).map((e) => e.location), ['r.com']);
});

test('resolvePushTarget: no search, docker normalization, insecure from the table or loopback', () => {
  const c = registriesConfigFromText(`${TWO_REG}[[registry]]\nlocation = "insecure.example"\ninsecure = true\n`);
  assert.deepEqual(resolvePushTarget('myimage', c), { reference: { registry: 'docker.io', repository: 'library/myimage', tag: 'latest' }, insecure: false });
  assert.equal(resolvePushTarget('insecure.example/a/b:1', c).insecure, true);
  assert.equal(resolvePushTarget('localhost:5000/a', c).insecure, true);
  assert.equal(resolvePushTarget('127.0.0.1:5000/a', c).insecure, true);
  assert.equal(resolvePushTarget('[::1]:5000/a', c).insecure, true);
  assert.equal(fullString(resolvePushTarget(`quay.io/a:1${SHA}`, c).reference), `quay.io/a:1${SHA}`);
  assert.throws(() => resolvePushTarget('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', c), /ambiguous with an image ID/);
});

test('loopback registries are insecure-allowed', () => {
  for (const h of ['localhost', 'localhost:5000', 'LOCALHOST:1', '127.0.0.1', '127.0.0.1:5000', '127.255.3.4:80', '[::1]', '[::1]:5000', '::1', '[0:0:0:0:0:0:0:1]:5000', '[::ffff:127.0.0.1]:5000']) {
    assert.equal(isLoopbackRegistry(h), true, h);
  }
  for (const h of ['docker.io', '128.0.0.1', '127.0.0.256', '127.0.0', '[::2]:5000', 'localhost.example.com', '10.0.0.1:5000', '[fe80::1]', 'notlocalhost']) {
    assert.equal(isLoopbackRegistry(h), false, h);
  }
  const c = emptyRegistriesConfig();
  assert.equal(resolvePullCandidates('localhost:5000/x', c)[0].endpoints[0].insecure, true);
  assert.equal(resolvePullCandidates('quay.io/x', c)[0].endpoints[0].insecure, false);
});

test('a short name with no configuration at all says so', () => {
  assert.throws(() => resolvePullCandidates('busybox', emptyRegistriesConfig()), /no unqualified-search-registries are defined in containers-registries\.conf\(5\) \(no file was found\)/);
  assert.throws(() => resolvePullCandidates('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', emptyRegistriesConfig()), /ambiguous with an image ID/);
});

test('resolveLocalCandidates: alias, localhost, search registries, then docker.io on request', () => {
  const c = registriesConfigFromText(TWO_REG);
  assert.deepEqual(resolveLocalCandidates('repo/image:1', c, { dockerHub: true }).map(fullString), ['quay.io/repo/image:1', 'localhost/repo/image:1', 'registry.com/repo/image:1', 'docker.io/repo/image:1']);
  assert.deepEqual(resolveLocalCandidates('busybox', c).map(fullString), ['localhost/busybox:latest', 'quay.io/busybox:latest', 'registry.com/busybox:latest']);
  assert.deepEqual(resolveLocalCandidates('quay.io/x', c).map(fullString), ['quay.io/x:latest']);
});
