import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerRecord } from './container.js';
import { checkSecurityOptsGiven, checkTmpfsOptions, commandOf, envOf, parseSecurityOpts } from './spec.js';

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
  assert.equal(parseSecurityOpts(['no-new-privileges=T', 'label:disable', 'disable']).noNewPrivileges, true);
  assert.throws(() => parseSecurityOpts(['seccomp=/no/such/profile.json']), /^BerthError: opening seccomp profile \(\/no\/such\/profile.json\) failed: open \/no\/such\/profile.json: no such file or directory$/);
  // dockerd's words.
  assert.throws(() => parseSecurityOpts(['bogus=1']), /^BerthError: invalid --security-opt 2: "bogus=1"$/);
  assert.throws(() => parseSecurityOpts(['bogus']), /^BerthError: invalid --security-opt 1: "bogus"$/);
  assert.throws(() => parseSecurityOpts(['no-new-privileges=yes']), /invalid --security-opt 2: "no-new-privileges=yes"/);
  // docker's CLI's own check.
  assert.throws(() => checkSecurityOptsGiven(['seccomp']), /^BerthError: Invalid --security-opt: "seccomp"$/);
  assert.throws(() => checkSecurityOptsGiven(['label=']), /Invalid --security-opt: "label="/);
  checkSecurityOptsGiven(['no-new-privileges', 'no-new-privileges=maybe', 'seccomp=builtin', 'foo=bar']);
  // inspect's use: the other settings without reading the profile (gone since, say).
  const shown = parseSecurityOpts(['seccomp=/no/such/profile.json', 'apparmor=my-profile'], { readProfile: false });
  assert.equal(shown.apparmor, 'my-profile');
  assert.equal(shown.seccomp, 'default');
});

test("--tmpfs options as dockerd checks them at the start", () => {
  assert.deepEqual(checkTmpfsOptions(['exec', 'nr_inodes=5', 'tmpcopyup', 'size=1m', 'mode=1777']), ['exec', 'nr_inodes=5', 'tmpcopyup', 'size=1m', 'mode=1777']);
  // dockerd 20.10: 'invalid tmpfs option ["foo"]', '... ["foo" "bar"]'.
  assert.throws(() => checkTmpfsOptions(['size=1m', 'foo']), /^BerthError: invalid tmpfs option \["foo"\]$/);
  assert.throws(() => checkTmpfsOptions(['foo=bar']), /^BerthError: invalid tmpfs option \["foo" "bar"\]$/);
});
