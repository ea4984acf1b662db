import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerRecord } from './container.js';
import { applyChange } from './commit.js';
import { commandOf, envOf, parseSecurityOpts } from './spec.js';

function rec(spec: Partial<ContainerRecord['spec']>, config: ContainerRecord['source']['config']): ContainerRecord {
  return {
    id: 'a'.repeat(64),
    name: 'x',
    created: '',
    spec: { image: 'i', ...spec },
    source: { imageName: 'i', layers: [], config },
    runtime: { path: '/usr/sbin/runc', name: 'runc' },
    snapshot: 'a',
    state: { status: 'created', pid: 0, monitorPid: 0, restartCount: 0 },
  };
}

test("the image's entrypoint and cmd combine; a user cmd replaces the cmd only", () => {
  assert.deepEqual(commandOf(rec({}, { entrypoint: ['/e'], cmd: ['c'] })), ['/e', 'c']);
  assert.deepEqual(commandOf(rec({ cmd: ['u'] }, { entrypoint: ['/e'], cmd: ['c'] })), ['/e', 'u']);
});

test("--entrypoint drops the image's cmd; an empty one clears the entrypoint", () => {
  assert.deepEqual(commandOf(rec({ entrypoint: ['/x'] }, { entrypoint: ['/e'], cmd: ['c'] })), ['/x']);
  assert.deepEqual(commandOf(rec({ entrypoint: [''], cmd: ['ls'] }, { entrypoint: ['/e'], cmd: ['c'] })), ['ls']);
});

test('user -e replaces the image env by key, keeping order', () => {
  assert.deepEqual(envOf(rec({ env: ['B=2', 'C=3'] }, { env: ['A=1', 'B=1'] })), ['A=1', 'B=2', 'C=3']);
});

test('--security-opt values; an unknown one is refused', () => {
  assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges:false']).noNewPrivileges, false);
  assert.equal(parseSecurityOpts(['seccomp=unconfined']).seccomp, 'unconfined');
  assert.equal(parseSecurityOpts(['systempaths=unconfined']).systemPathsUnconfined, true);
  assert.throws(() => parseSecurityOpts(['seccomp=/no/such/profile.json']), /cannot read profile/);
  assert.throws(() => parseSecurityOpts(['bogus=1']), /invalid --security-opt/);
  // inspect's use: the other settings without reading the profile (gone since, say).
  const shown = parseSecurityOpts(['seccomp=/no/such/profile.json', 'apparmor=my-profile'], { readProfile: false });
  assert.equal(shown.apparmor, 'my-profile');
  assert.equal(shown.seccomp, 'default');
});

test('commit --change instructions', () => {
  const c: Record<string, unknown> & { Env?: string[] } = { Env: ['A=1'] };
  applyChange(c, 'CMD ["a", "b"]');
  applyChange(c, 'ENTRYPOINT echo hi');
  applyChange(c, 'ENV A=2 B="x y"');
  applyChange(c, 'WORKDIR /w');
  applyChange(c, 'USER app');
  applyChange(c, 'LABEL k=v');
  applyChange(c, 'EXPOSE 80');
  assert.deepEqual(c.Cmd, ['a', 'b']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(c.Env, ['A=2', 'B=x y']);
  assert.equal(c.WorkingDir, '/w');
  assert.equal(c.User, 'app');
  assert.deepEqual(c.Labels, { k: 'v' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {} });
});

test('commit --change refuses RUN and a malformed JSON array', () => {
  assert.throws(() => applyChange({}, 'RUN rm -rf /'), /commit accepts/);
  assert.throws(() => applyChange({}, 'CMD ["a", 1]'), /JSON array of strings/);
});
