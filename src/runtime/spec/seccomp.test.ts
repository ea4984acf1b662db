import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { CLONE_NAMESPACE_FLAGS, DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import { parseSeccompProfile, seccompForContainer } from './seccomp.js';

const names = (s: ReturnType<typeof seccompForContainer>) => new Set(s.syscalls?.flatMap((r) => (r.action === 'SCMP_ACT_ALLOW' ? r.names : [])));

test('default profile on amd64 with the default caps: allowlist, EPERM default, x86 arch map', () => {
  const s = seccompForContainer(undefined, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' });
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const allowed = names(s);
  for (const n of ['read', 'write', 'execve', 'arch_prctl', 'chroot', 'ptrace']) assert.ok(allowed.has(n), n);
  for (const n of ['keyctl', 'add_key', 'unshare', 'mount', 'setns', 'reboot', 'kexec_load', 'bpf', 'swapon']) assert.ok(!allowed.has(n), n);
  const clone = s.syscalls?.find((r) => r.names.includes('clone') && r.args);
  assert.deepEqual(clone?.args, [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }]);
  assert.deepEqual(
    s.syscalls?.find((r) => r.names.includes('clone3')),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  );
  assert.ok(s.syscalls?.some((r) => r.names.includes('personality') && r.args?.[0].value === 8));
});

test('a kernel without the x32 ABI: SCMP_ARCH_X32 leaves the filter, the rules stay the same', () => {
  const ctx = { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' };
  const full = seccompForContainer(undefined, ctx);
  const s = seccompForContainer(undefined, { ...ctx, x32: false });
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.deepEqual(s.syscalls, full.syscalls);
  assert.deepEqual(seccompForContainer(undefined, { ...ctx, x32: true }).architectures, full.architectures);
  assert.deepEqual(seccompForContainer(undefined, { ...ctx, arch: 'arm64', x32: false }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
});

test('CAP_SYS_ADMIN opens mount/unshare/clone and drops the clone flag filter', () => {
  const s = seccompForContainer(undefined, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'amd64' });
  const allowed = names(s);
  assert.ok(allowed.has('unshare') && allowed.has('mount') && allowed.has('clone'));
  assert.ok(!s.syscalls?.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
});

test('arm64 maps to aarch64+arm and gets the arm-only calls; minKernel gates ptrace', () => {
  const s = seccompForContainer(undefined, { capabilities: DEFAULT_CAPABILITIES, arch: 'arm64', kernel: '4.4.0' });
  assert.deepEqual(s.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  const allowed = names(s);
  assert.ok(allowed.has('set_tls') && !allowed.has('arch_prctl'));
  assert.ok(!allowed.has('ptrace'));
});

test('a custom profile in docker format: parsed, old "name" form accepted, malformed ones refused', () => {
  const p = parseSeccompProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO' }] }));
  const s = seccompForContainer(p, { capabilities: [] });
  assert.deepEqual(s.syscalls, [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }]);
  assert.throws(() => parseSeccompProfile('{'), /not JSON/);
  assert.throws(() => parseSeccompProfile('{}'), /defaultAction/);
  assert.throws(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO"}]}'), /no "names"/);
  assert.ok(DEFAULT_SECCOMP_PROFILE.syscalls && DEFAULT_SECCOMP_PROFILE.syscalls[0].names!.length > 300);
});
