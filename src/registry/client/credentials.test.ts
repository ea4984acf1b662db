import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { removeCredentials, saveCredentials } from './credential-store.js';
import { authFileSearchPath, findCredentials, lookupKeys, normalizeAuthKey, primaryAuthFile } from './credentials.js';

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-creds-'));
after(() => fs.rm(tmp, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function envWith(name: string, files: { runtime?: object; config?: object; docker?: object }) {
  const root = path.join(tmp, name);
  const env = { HOME: path.join(root, 'home'), XDG_RUNTIME_DIR: path.join(root, 'run'), PATH: process.env.PATH };
  const write = async (p: string, v: object | undefined) => {
    if (!v) return;
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, JSON.stringify(v));
  };
  await write(path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json'), files.runtime);
  await write(path.join(env.HOME, '.config/containers/auth.json'), files.config);
  await write(path.join(env.HOME, '.docker/config.json'), files.docker);
  return env;
}

test('auth keys normalise schemes, /v1/ and docker.io aliases', () => {
  assert.equal(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normalizeAuthKey('registry-1.docker.io'), 'docker.io');
  assert.equal(normalizeAuthKey('http://Quay.io/ns'), 'quay.io/ns');
  assert.deepEqual(lookupKeys('quay.io', 'a/b/c'), ['quay.io/a/b/c', 'quay.io/a/b', 'quay.io/a', 'quay.io']);
});

test('files are searched in order and the most specific key wins', async () => {
  const env = await envWith('order', {
    runtime: { auths: { 'quay.io/team': { auth: b64('team:t') } } },
    config: { auths: { 'quay.io': { auth: b64('cfg:c') } } },
    docker: { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:h:with:colons') } } },
  });
  assert.equal((await findCredentials('quay.io', 'team/app', { env }))?.username, 'team');
  assert.equal((await findCredentials('quay.io', 'other/app', { env }))?.username, 'cfg');
  const hub = await findCredentials('registry-1.docker.io', 'library/busybox', { env });
  assert.deepEqual([hub?.username, hub?.password], ['hub', 'h:with:colons']);
  assert.equal(await findCredentials('example.com', undefined, { env }), undefined);
  assert.equal(authFileSearchPath({ env })[0], path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json'));
});

test('an explicit auth file comes first; REGISTRY_AUTH_FILE likewise', async () => {
  const env = await envWith('explicit', { runtime: { auths: { 'r.io': { auth: b64('a:1') } } } });
  const explicit = path.join(tmp, 'explicit', 'my.json');
  await fs.writeFile(explicit, JSON.stringify({ auths: { 'r.io': { auth: b64('b:2') } } }));
  assert.equal((await findCredentials('r.io', undefined, { env, authFile: explicit }))?.username, 'b');
  assert.equal((await findCredentials('r.io', undefined, { env: { ...env, REGISTRY_AUTH_FILE: explicit } }))?.username, 'b');
  assert.equal((await findCredentials('r.io', undefined, { env }))?.username, 'a');
});

test('a malformed auth file is an error naming the file', async () => {
  const env = await envWith('bad', {});
  const file = primaryAuthFile({ env });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '{not json');
  await assert.rejects(findCredentials('r.io', undefined, { env }), (e: unknown) => (e as { kind?: string }).kind === 'invalid-argument' && (e as Error).message.includes(file));
  await fs.writeFile(file, JSON.stringify({ auths: { 'r.io': { auth: b64('nocolon') } } }));
  await assert.rejects(findCredentials('r.io', undefined, { env }), (e: unknown) => (e as { kind?: string }).kind === 'invalid-argument' && /user:password/.test((e as Error).message));
});

test('credential helpers are called; a missing helper is a clear unsupported error', async () => {
  const bin = path.join(tmp, 'helpers');
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(
    path.join(bin, 'docker-credential-fake'),
    '#!/bin/sh\nread url\nif [ "$url" = "https://index.docker.io/v1/" ]; then echo "{\\"Username\\":\\"hubuser\\",\\"Secret\\":\\"s3\\"}"; else echo "credentials not found in native keychain"; exit 1; fi\n',
    { mode: 0o755 },
  );
  const env = { ...(await envWith('helpers', { docker: { credsStore: 'fake', credHelpers: { 'gcr.io': 'missing' } } })), PATH: `${bin}:${process.env.PATH}` };
  const hub = await findCredentials('docker.io', 'library/x', { env });
  assert.deepEqual([hub?.username, hub?.password], ['hubuser', 's3']);
  assert.equal(await findCredentials('other.io', undefined, { env }), undefined);
  await assert.rejects(findCredentials('gcr.io', undefined, { env }), (e: unknown) => (e as { kind?: string }).kind === 'unsupported' && (e as Error).message.includes('docker-credential-missing'));
});

test('saveCredentials writes atomically with mode 0600 and keeps other entries; removeCredentials removes every spelling', async () => {
  const env = await envWith('save', {});
  const file = primaryAuthFile({ env });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('old:o') }, 'keep.io': { auth: b64('k:k') } }, other: 1 }));
  assert.equal(await saveCredentials('docker.io', 'me', 'pw', { env }), file);
  const doc = JSON.parse(await fs.readFile(file, 'utf8'));
  assert.deepEqual(Object.keys(doc.auths).sort(), ['docker.io', 'keep.io']);
  assert.equal(doc.other, 1);
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  assert.equal((await findCredentials('index.docker.io', undefined, { env }))?.username, 'me');
  assert.deepEqual((await fs.readdir(path.dirname(file))).sort(), ['auth.json']);
  assert.equal(await removeCredentials('https://index.docker.io/v1/', { env }), true);
  assert.equal(await removeCredentials('docker.io', { env }), false);
  assert.deepEqual(Object.keys(JSON.parse(await fs.readFile(file, 'utf8')).auths), ['keep.io']);
  await assert.rejects(saveCredentials('r.io', 'a:b', 'x', { env }), (e: unknown) => (e as { kind?: string }).kind === 'invalid-argument');
});
