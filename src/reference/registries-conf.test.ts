import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { parseRegistriesConf } from './registries-conf.js';
import { loadRegistriesConf, registriesConfigFromText, registriesConfPaths } from './registries-load.js';
import { DROP_INS } from './testdata.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A temp dir holding `files` (relative path -> content). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-regconf-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

function refuses(text: string, message: RegExp, origin = '/etc/x.conf'): void {
  assert.throws(
    () => parseRegistriesConf(text, origin),
    (e: unknown) => isBerthError(e, 'invalid-argument') && (e as Error).message.startsWith(`cannot load registries configuration ${origin}: `) && message.test((e as Error).message),
    text,
  );
}

// The man page's example.
const MAN_PAGE_EXAMPLE = `
unqualified-search-registries = ["example.com"]

[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
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
`;

test('the man page example parses into prefixes, locations and mirrors', () => {
  const c = registriesConfigFromText(MAN_PAGE_EXAMPLE, 'example.conf');
  assert.deepEqual(c.unqualifiedSearchRegistries, ['example.com']);
  assert.equal(c.unqualifiedSearchRegistriesOrigin, 'example.conf');
  assert.equal(c.shortNameMode, 'permissive');
  assert.deepEqual(c.credentialHelpers, ['containers-auth.json']);
  assert.deepEqual(
    c.registries.map((r) => [r.prefix, r.location, r.mirrors.map((m) => [m.location, m.insecure])]),
    [
      ['example.com/foo', 'internal-registry-for-example.com/bar', [['example-mirror-0.local/mirror-for-foo', false], ['example-mirror-1.local/mirrors/foo', true]]],
      ['registry.com', 'registry.com', [['mirror.registry.com', false]]],
    ],
  );
});

test('trailing slashes are stripped from locations and search registries', () => {
  const c = registriesConfigFromText('unqualified-search-registries = ["a.com//"]\n[[registry]]\nlocation = "example.com//////"\n');
  assert.deepEqual(c.unqualifiedSearchRegistries, ['a.com']);
  assert.equal(c.registries[0].location, 'example.com');
});

test('v1 format converts to v2 (search, insecure, block)', () => {
  const c = registriesConfigFromText(`
[registries.search]
registries = ["registry-a.com////", "registry-c.com"]
[registries.block]
registries = ["registry-b.com"]
[registries.insecure]
registries = ["registry-d.com", "registry-e.com", "registry-a.com", "registry-b.com"]
`);
  assert.deepEqual(c.unqualifiedSearchRegistries, ['registry-a.com', 'registry-c.com']);
  const b = c.registries.find((r) => r.prefix === 'registry-b.com')!;
  assert.equal(b.blocked, true);
  assert.equal(b.insecure, true);
  assert.equal(c.registries.length, 4);
});

test('short-name-mode, credential-helpers and aliases are read', () => {
  const c = registriesConfigFromText(`short-name-mode="enforcing"
credential-helpers = ["helper-1", "helper-2"]
[aliases]
docker="docker.io/foo"
"quay/foo"="quay.io/library/foo"
empty=""
local="localhost:5000/x"
`);
  assert.equal(c.shortNameMode, 'enforcing');
  assert.deepEqual(c.credentialHelpers, ['helper-1', 'helper-2']);
  assert.equal(c.aliases.get('docker')?.value, 'docker.io/library/foo');
  assert.equal(c.aliases.get('quay/foo')?.value, 'quay.io/library/foo');
  assert.equal(c.aliases.get('local')?.value, 'localhost:5000/x');
  assert.equal(c.aliases.has('empty'), false);
});

// Malformed files: each names the file and the key.
const MALFORMED: Array<[string, string, RegExp]> = [
  ['bad TOML', '[[registry]\nlocation = "x"', /malformed TOML \(line 1, column \d+\)/],
  ['unterminated string', 'unqualified-search-registries = ["a.com', /malformed TOML/],
  ['search list of numbers', 'unqualified-search-registries = [1]', /unqualified-search-registries\[0\]: must be a string, not a number/],
  ['search not a list', 'unqualified-search-registries = "a.com"', /unqualified-search-registries: must be an array of strings, not a string/],
  ['bad search entry', 'unqualified-search-registries = ["a.com/ns"]', /unqualified-search-registries\[0\]: "a.com\/ns" is not a registry host/],
  ['insecure as string', '[[registry]]\nlocation = "a.com"\ninsecure = "yes"', /registry\[0\]\.insecure: must be true or false, not a string/],
  ['registry as table', '[registry]\nlocation = "a.com"', /registry: must be an array of tables/],
  ['mirror not tables', '[[registry]]\nlocation = "a.com"\nmirror = ["m.com"]', /registry\[0\]\.mirror\[0\]: must be a table, not a string/],
  ['no location, no prefix', '[[registry]]\ninsecure = true', /registry\[0\]: both location and prefix are unset/],
  ['no location, plain prefix', '[[registry]]\nprefix = "a.com"', /registry\[0\]\.location: is unset, which only a "\*\.example\.com" prefix allows/],
  ['URL scheme', '[[registry]]\nlocation = "https://example.com"', /registry\[0\]\.location: "https:\/\/example\.com": URI schemes are not supported/],
  ['wildcard in middle', '[[registry]]\nprefix = "example.*.com"\nlocation = "a.com"', /registry\[0\]\.prefix: "example\.\*\.com": a wildcard prefix must be/],
  ['wildcard with path', '[[registry]]\nprefix = "*.example.com/foo"\nlocation = "a.com"', /registry\[0\]\.prefix: "\*\.example\.com\/foo"/],
  ['wildcard with port', '[[registry]]\nprefix = "*.example.com:5000/foo/bar:baz"\nlocation = "a.com"', /a wildcard prefix must be/],
  ['double wildcard', '[[registry]]\nprefix = "**.example.com"\nlocation = "a.com"', /a wildcard prefix must be/],
  ['bad prefix grammar', '[[registry]]\nprefix = "example.com/Foo"\nlocation = "a.com"', /registry\[0\]\.prefix: "example\.com\/Foo": .*must be lowercase/],
  ['bad host', '[[registry]]\nlocation = "exa mple.com"', /"exa mple\.com" is not a registry host/],
  ['mirror without location', '[[registry]]\nlocation = "a.com"\n[[registry.mirror]]\ninsecure = true', /registry\[0\]\.mirror\[0\]\.location: a mirror needs a location/],
  ['pull-from-mirror on registry', '[[registry]]\nprefix = "registry-a.com/foo"\nlocation = "registry-a.com/bar"\npull-from-mirror = "digest-only"', /registry\[0\]\.pull-from-mirror: must not be set for a non-mirror registry "registry-a.com\/foo"/],
  ['pull-from-mirror with mirror-by-digest-only', '[[registry]]\nprefix = "registry-a.com/foo"\nlocation = "registry-a.com/bar"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "mirror-1.registry-a.com"\npull-from-mirror = "digest-only"', /cannot be set for mirror "mirror-1\.registry-a\.com" when mirror-by-digest-only is set/],
  ['bad pull-from-mirror', '[[registry]]\nlocation = "registry-a.com"\n[[registry.mirror]]\nlocation = "mirror-1.registry-a.com"\npull-from-mirror = "notvalid"', /pull-from-mirror: "notvalid" is not one of all, digest-only, tag-only/],
  ['conflicting insecure', '[[registry]]\nlocation = "registry.com"\n[[registry]]\nprefix = "other.com"\nlocation = "registry.com"\ninsecure = true', /registry "registry\.com" is defined multiple times with conflicting "insecure" settings/],
  ['conflicting blocked', '[[registry]]\nlocation = "registry.com"\n[[registry]]\nprefix = "x.com"\nlocation = "registry.com"\nblocked = true', /conflicting "blocked" settings/],
  ['bad short-name-mode', 'short-name-mode = "prompt"', /short-name-mode: "prompt" is not one of enforcing, permissive, disabled/],
  ['alias with tag', '[aliases]\nimage1="quay.io/repo/image:1"', /aliases\."image1": "quay\.io\/repo\/image:1" must not contain a tag/],
  ['alias not qualified', '[aliases]\nimage2="image"', /aliases\."image2": "image" must be a fully qualified name/],
  ['alias name with registry', '[aliases]\n"quay.io/x"="quay.io/x"', /aliases\."quay\.io\/x": must be a short name/],
  ['alias name with digest', `[aliases]\n"x@sha256:${'a'.repeat(64)}"="quay.io/x"`, /must not contain a digest/],
  ['alias not a string', '[aliases]\nx=1', /aliases\."x": must be a string, not a number/],
  ['mixing v1 and v2', '[registries.search]\nregistries = ["a.com"]\n[[registry]]\nlocation = "b.com"', /mixing the version 1 format with version 2 keys \(registry\)/],
];

for (const [name, text, message] of MALFORMED) {
  test(`registries.conf refused: ${name}`, () => refuses(text, message));
}

test('every bad alias is reported at once', () => {
  refuses('[aliases]\nimage1="quay.io/repo/image:1"\nimage2="image:1"\n', /image1.*; aliases\."image2"/);
});

test('a drop-in in the v1 format is refused', () => {
  assert.throws(() => parseRegistriesConf('[registries.search]\nregistries = ["a.com"]', 'd.conf', { dropIn: true }), /d\.conf: registries: drop-in files must use the version 2 format/);
});

test('drop-ins merge by prefix and replace search registries (TestRegistriesConfDirectory)', async () => {
  const dir = await tree({
    'base.conf': 'unqualified-search-registries = ["example.com"]\n\n[[registry]]\nlocation = "base.com"\ninsecure = true',
    ...Object.fromEntries(Object.entries(DROP_INS).map(([k, v]) => [`d/${k}`, v])),
    'd/sub.conf/x.conf': '[[registry]]\nlocation = "in-a-subdirectory.com"\n',
  });
  const c = await loadRegistriesConf({ path: path.join(dir, 'base.conf'), dropInDirs: [path.join(dir, 'd')], shortNameAliasesPath: null });
  assert.deepEqual(c.unqualifiedSearchRegistries, ['example-overwrite.com']);
  assert.equal(c.unqualifiedSearchRegistriesOrigin, path.join(dir, 'd/config-1.conf'));
  assert.deepEqual(
    c.registries.map((r) => r.location),
    ['subdomain-prefix-3-overridden-by-dropin-location.com', 'subdomain-prefix-2-overridden-by-dropin-location.com', 'subdomain-prefix-1-overridden-by-dropin-location.com', '1.com', '2.com', 'base.com'],
  );
  const base = c.registries.find((r) => r.prefix === 'base.com')!;
  assert.equal(base.blocked, true);
  assert.equal(base.insecure, false, 'a drop-in table replaces the whole table, not fields');
  assert.equal(base.origin, path.join(dir, 'd/config-2.conf'));
  assert.equal(c.aliases.get('barz')?.value, 'barz.com/config2');
  assert.equal(c.aliases.get('docker')?.value, 'docker.io/library/config1');
  assert.deepEqual(c.credentialHelpers, ['dropin-1', 'dropin-2']);
  assert.deepEqual(c.sources, [path.join(dir, 'base.conf'), ...['config-1', 'config-2', 'subdomain-override-1', 'subdomain-override-2', 'subdomain-override-3'].map((n) => path.join(dir, `d/${n}.conf`))]);
});

test('an empty search list in a drop-in overrides; a drop-in without the key does not', async () => {
  const dir = await tree({ 'main.conf': 'unqualified-search-registries = ["a.com", "c.com"]', 'd1/x.conf': '[[registry]]\nlocation="x.com"', 'd2/y.conf': 'unqualified-search-registries = []' });
  const keep = await loadRegistriesConf({ path: path.join(dir, 'main.conf'), dropInDirs: [path.join(dir, 'd1')], shortNameAliasesPath: null });
  assert.deepEqual(keep.unqualifiedSearchRegistries, ['a.com', 'c.com']);
  const cleared = await loadRegistriesConf({ path: path.join(dir, 'main.conf'), dropInDirs: [path.join(dir, 'd2')], shortNameAliasesPath: null });
  assert.deepEqual(cleared.unqualifiedSearchRegistries, []);
});

test('an alias set to "" in a later file erases it; recorded aliases win', async () => {
  const dir = await tree({
    'main.conf': '[aliases]\nfoo="quay.io/foo"\nbar="quay.io/bar"\n',
    'd/z.conf': '[aliases]\nfoo=""\n',
    'cache/short-name-aliases.conf': '[aliases]\nbar="example.com/recorded/bar"\n',
  });
  const c = await loadRegistriesConf({ path: path.join(dir, 'main.conf'), dropInDirs: [path.join(dir, 'd')], shortNameAliasesPath: path.join(dir, 'cache/short-name-aliases.conf') });
  assert.equal(c.aliases.has('foo'), false);
  assert.deepEqual(c.aliases.get('bar'), { value: 'example.com/recorded/bar', origin: path.join(dir, 'cache/short-name-aliases.conf') });
});

test('file choice: explicit path, then the user file replacing the system file', async () => {
  const home = await tree({ '.config/containers/registries.conf': 'unqualified-search-registries = ["user.example"]' });
  const env = { HOME: home };
  const user = await registriesConfPaths({ env });
  assert.equal(user.path, path.join(home, '.config/containers/registries.conf'));
  assert.deepEqual(user.dropInDirs, [path.join(home, '.config/containers/registries.conf.d')]);
  assert.equal(user.required, false);
  const explicit = await registriesConfPaths({ env: { ...env, CONTAINERS_REGISTRIES_CONF: '/nonexistent/r.conf' } });
  assert.equal(explicit.path, '/nonexistent/r.conf');
  assert.equal(explicit.required, true);
  assert.deepEqual(explicit.dropInDirs, ['/etc/containers/registries.conf.d', path.join(home, '.config/containers/registries.conf.d')]);
  assert.equal((await registriesConfPaths({ env, path: '/x.conf' })).path, '/x.conf');
  const none = await registriesConfPaths({ env: { HOME: path.join(home, 'nobody') } });
  assert.equal(none.path, '/etc/containers/registries.conf');
  const c = await loadRegistriesConf({ env, shortNameAliasesPath: null });
  assert.deepEqual(c.unqualifiedSearchRegistries, ['user.example']);
});

test('a named file that is missing is an error; a missing default file is empty', async () => {
  const dir = await tree({});
  await assert.rejects(loadRegistriesConf({ path: path.join(dir, 'nope.conf'), dropInDirs: [] }), (e: unknown) => isBerthError(e, 'not-found') && /cannot load registries configuration .*nope\.conf/.test((e as Error).message));
  const c = await loadRegistriesConf({ env: { HOME: dir }, dropInDirs: [path.join(dir, 'none')], shortNameAliasesPath: null });
  assert.ok(Array.isArray(c.unqualifiedSearchRegistries));
});

test('errors in a drop-in name the drop-in; the loader writes nothing', async () => {
  const dir = await tree({ 'main.conf': '', 'd/10-bad.conf': '[[registry]]\nlocation = "a.com"\nblocked = 1\n' });
  const before = await readdir(dir, { recursive: true });
  await assert.rejects(
    loadRegistriesConf({ path: path.join(dir, 'main.conf'), dropInDirs: [path.join(dir, 'd')], shortNameAliasesPath: null }),
    (e: unknown) => isBerthError(e, 'invalid-argument') && (e as Error).message.includes(`${path.join(dir, 'd/10-bad.conf')}: registry[0].blocked: must be true or false, not a number`),
  );
  assert.deepEqual(await readdir(dir, { recursive: true }), before);
});

test('a directory in place of the main file is refused', async () => {
  const dir = await tree({ 'conf/x': '' });
  await assert.rejects(loadRegistriesConf({ path: path.join(dir, 'conf'), dropInDirs: [] }), /not a regular file/);
});

test('an aborted signal stops loading', async () => {
  await assert.rejects(loadRegistriesConf({ path: '/nonexistent', dropInDirs: [], signal: AbortSignal.abort() }), (e: unknown) => (e as Error).name === 'AbortError');
});
