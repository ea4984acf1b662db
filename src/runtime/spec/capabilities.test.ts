import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../../internal/errors.js';
import {
  ALL_CAPABILITIES,
  capabilityMask,
  DEFAULT_CAPABILITIES,
  hostCapabilities,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities.js';

const ALL = [...ALL_CAPABILITIES];

test('the default set is the kernel mask 0xa80425fb', () => {
  assert.equal(capabilityMask(resolveCapabilities({ host: ALL })), '00000000a80425fb');
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
});

test('names with or without CAP_, any case; unknown names are a clear error', () => {
  assert.equal(normalizeCapability('net_admin'), 'CAP_NET_ADMIN');
  assert.equal(normalizeCapability('Cap_Sys_Admin'), 'CAP_SYS_ADMIN');
  assert.equal(normalizeCapability('all'), 'ALL');
  assert.throws(
    () => normalizeCapability('SYS_WIZARD'),
    (e: unknown) => isBerthError(e, 'invalid-argument') && /unknown capability "SYS_WIZARD"/.test((e as Error).message),
  );
});

test('add and drop, ALL on either side, an explicit add beats drop ALL', () => {
  const r = resolveCapabilities({ add: ['NET_ADMIN'], drop: ['chown', 'CAP_KILL'], host: ALL });
  assert.ok(r.includes('CAP_NET_ADMIN'));
  assert.ok(!r.includes('CAP_CHOWN') && !r.includes('CAP_KILL'));
  assert.equal(r.length, 13);
  assert.deepEqual(resolveCapabilities({ drop: ['ALL'], host: ALL }), []);
  assert.deepEqual(resolveCapabilities({ drop: ['ALL'], add: ['chown'], host: ALL }), ['CAP_CHOWN']);
  assert.equal(resolveCapabilities({ add: ['ALL'], host: ALL }).length, ALL.length);
  assert.equal(resolveCapabilities({ add: ['ALL'], drop: ['SYS_ADMIN'], host: ALL }).length, ALL.length - 1);
});

test('privileged gets what the host bounding set holds; adding a missing one is an error', () => {
  const host = ALL.filter((c) => c !== 'CAP_SYS_RESOURCE');
  assert.deepEqual(resolveCapabilities({ privileged: true, host }), host);
  assert.throws(() => resolveCapabilities({ add: ['SYS_RESOURCE'], host }), /host's bounding set lacks it/);
});

test('hostCapabilities reads CapBnd from /proc/self/status', () => {
  assert.deepEqual(hostCapabilities('CapBnd:\t00000000a80425fb\n'), [...DEFAULT_CAPABILITIES].sort((a, b) => ALL.indexOf(a as never) - ALL.indexOf(b as never)));
  assert.equal(hostCapabilities('CapBnd:\t000001fffeffffff\n').length, 40);
});
