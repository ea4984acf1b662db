import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../../internal/errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';
import { generateSpec, type SpecInput } from './generate.js';

const HOST = {
  capabilities: undefined,
  limits: { RLIMIT_NOFILE: { soft: 20000, hard: 20000 } },
  security: { apparmor: false, selinux: false },
  devices: [{ type: 'c' as const, path: '/dev/fuse', major: 10, minor: 229 }],
  cgroupMode: 'hybrid' as const,
};
const base = (over: Partial<SpecInput> = {}): SpecInput => ({
  rootfs: '/r',
  process: { args: ['sh'] },
  host: HOST,
  ...over,
});

test('defaults match docker: namespaces, mounts, caps, masked and read-only paths, nofile clamped', () => {
  const s = generateSpec(base());
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(
    s.linux.namespaces.map((n) => n.type),
    ['pid', 'network', 'ipc', 'uts', 'mount'],
  );
  assert.deepEqual(
    s.mounts.map((m) => m.destination),
    ['/proc', '/dev', '/sys', '/dev/pts', '/dev/mqueue', '/dev/shm', '/sys/fs/cgroup'],
  );
  const pts = s.mounts.find((m) => m.destination === '/dev/pts');
  assert.deepEqual(pts?.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'));
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes('size=67108864'));
  const caps = s.process.capabilities;
  assert.equal(caps?.bounding.length, 14);
  assert.deepEqual(new Set(caps?.bounding), new Set(DEFAULT_CAPABILITIES));
  assert.deepEqual(caps?.effective, caps?.bounding);
  assert.deepEqual(caps?.permitted, caps?.bounding);
  assert.deepEqual(caps?.inheritable, []);
  assert.deepEqual(caps?.ambient, []);
  assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.ok(s.linux.maskedPaths?.includes('/sys/devices/virtual/powercap'));
  assert.deepEqual(s.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  assert.equal(s.process.env[0], 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.ok(s.process.env.includes('HOME=/'));
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.linux.resources?.devices?.[0].allow, false);
  assert.equal(s.process.apparmorProfile, undefined);
});

test('on a cgroup v2 host the cgroup namespace is private by default, as docker does', () => {
  const s = generateSpec(base({ host: { ...HOST, cgroupMode: 'v2' } }));
  assert.ok(s.linux.namespaces.some((n) => n.type === 'cgroup'));
  const h = generateSpec(base({ host: { ...HOST, cgroupMode: 'v2' }, namespaces: { cgroup: 'host' } }));
  assert.ok(!h.linux.namespaces.some((n) => n.type === 'cgroup'));
});

test('privileged: host devices, allow-all device cgroup, no seccomp, no masked paths, /sys rw', () => {
  const s = generateSpec(base({ privileged: true }));
  assert.deepEqual(s.linux.devices, HOST.devices);
  assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.linux.maskedPaths, undefined);
  assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('rw'));
  assert.ok((s.process.capabilities?.bounding.length ?? 0) > 14);
});

test('host namespaces are omitted, paths joined, hostname needs a private UTS namespace', () => {
  const s = generateSpec(base({ namespaces: { network: 'host', ipc: { path: '/proc/1/ns/ipc' }, cgroup: 'private' } }));
  assert.deepEqual(s.linux.namespaces, [
    { type: 'pid' },
    { type: 'ipc', path: '/proc/1/ns/ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
  ]);
  assert.throws(
    () => generateSpec(base({ namespaces: { uts: 'host' }, hostname: 'x' })),
    (e: unknown) => isBerthError(e, 'invalid-argument'),
  );
  assert.throws(() => generateSpec(base({ namespaces: { user: 'private' } })), /mappings are required/);
  const u = generateSpec(
    base({
      namespaces: { user: 'private' },
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    }),
  );
  assert.equal(u.linux.uidMappings?.[0].hostID, 100000);
});

test('user mounts: bind ro with propagation, tmpfs with docker default options, replacing a default, sorted by depth', () => {
  const s = generateSpec(
    base({
      mounts: [
        { type: 'bind', source: '/host/data', destination: '/data/sub', readonly: true, propagation: 'rslave' },
        { type: 'tmpfs', destination: '/dev/shm', options: ['size=1m', 'exec'] },
        { type: 'bind', source: '/host', destination: '/data' },
      ],
    }),
  );
  const dests = s.mounts.map((m) => m.destination);
  assert.ok(dests.indexOf('/data') < dests.indexOf('/data/sub'));
  assert.equal(dests.filter((d) => d === '/dev/shm').length, 1);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/dev/shm')?.options, ['nosuid', 'nodev', 'size=1m', 'exec']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/data/sub')?.options, ['rbind', 'ro', 'rslave']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/data')?.options, ['rbind', 'rw', 'rprivate']);
  assert.equal(s.linux.rootfsPropagation, 'rslave');
  assert.throws(() => generateSpec(base({ mounts: [{ type: 'tmpfs', destination: 'rel' }] })), /absolute path/);
});

test('sysctls: namespaced ones pass, host-wide or needing a shared namespace are refused', () => {
  const s = generateSpec(base({ sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' } }));
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' });
  assert.throws(() => generateSpec(base({ sysctls: { 'vm.swappiness': '1' } })), /not namespaced/);
  assert.throws(
    () => generateSpec(base({ namespaces: { network: 'host' }, sysctls: { 'net.core.somaxconn': '1' } })),
    /private network namespace/,
  );
});

test('LSM labels only where the host has the module; seccomp unconfined; annotations; oom score', () => {
  assert.throws(() => generateSpec(base({ apparmorProfile: 'x' })), /AppArmor is not enabled/);
  assert.throws(() => generateSpec(base({ selinuxLabel: 'system_u:system_r:container_t:s0' })), /SELinux is not enabled/);
  const a = generateSpec(base({ apparmorProfile: 'p1', host: { ...HOST, security: { apparmor: true, selinux: true } }, selinuxLabel: 'l' }));
  assert.equal(a.process.apparmorProfile, 'p1');
  assert.equal(a.process.selinuxLabel, 'l');
  const s = generateSpec(base({ seccomp: 'unconfined', annotations: { a: 'b' }, process: { args: ['x'], oomScoreAdj: 500 } }));
  assert.equal(s.linux.seccomp, undefined);
  assert.deepEqual(s.annotations, { a: 'b' });
  assert.equal(s.process.oomScoreAdj, 500);
  assert.throws(() => generateSpec(base({ process: { args: ['x'], oomScoreAdj: 1001 } })), /-1000..1000/);
  assert.throws(() => generateSpec(base({ process: { args: [] } })), /no command/);
});

test("the environment in dockerd's order: PATH, HOSTNAME, TERM replaced in place, the rest in order, HOME last", () => {
  const s = generateSpec(base({ hostname: 'h', process: { args: ['sh'], terminal: true, env: ['A=1', 'PATH=/x:/bin', 'B=2', 'TERM=dumb'] } }));
  assert.deepEqual(s.process.env, ['PATH=/x:/bin', 'HOSTNAME=h', 'TERM=dumb', 'A=1', 'B=2', 'HOME=/']);
});

test('process: user ids, terminal env, cwd must be absolute, ids out of range refused', () => {
  const s = generateSpec(
    base({ hostname: 'h', process: { args: ['x'], terminal: true, cwd: '/w', user: { uid: 5, gid: 6, additionalGids: [7] }, home: '/home/u' } }),
  );
  assert.deepEqual(s.process.user, { uid: 5, gid: 6, additionalGids: [7] });
  assert.ok(s.process.env.includes('TERM=xterm'));
  assert.ok(s.process.env.includes('HOSTNAME=h'));
  assert.ok(s.process.env.includes('HOME=/home/u'));
  assert.throws(() => generateSpec(base({ process: { args: ['x'], cwd: 'w' } })), /absolute/);
  assert.throws(() => generateSpec(base({ process: { args: ['x'], user: { uid: 2 ** 32, gid: 0 } } })), /invalid user id/);
});

test('hooks pass through with absolute paths only; writeBundle writes config.json atomically', async () => {
  const s = generateSpec(base({ hooks: { createRuntime: [{ path: '/usr/bin/net-setup', args: ['net-setup', 'x'] }] } }));
  assert.deepEqual(s.hooks, { createRuntime: [{ path: '/usr/bin/net-setup', args: ['net-setup', 'x'] }] });
  assert.throws(() => generateSpec(base({ hooks: { poststop: [{ path: 'rel' }] } })), /poststop hook path/);
  const fs = await import('node:fs/promises');
  const os = await import('node:os');
  const dir = await fs.mkdtemp(`${os.tmpdir()}/berth-bundle-`);
  try {
    const { writeBundle } = await import('./generate.js');
    const file = await writeBundle(`${dir}/b`, s);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), s);
    assert.deepEqual(await fs.readdir(`${dir}/b`), ['config.json']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('--device: a host node with its cgroup rule; a non-device or missing path is refused', async () => {
  const { deviceFromHost } = await import('./host.js');
  const d = deviceFromHost('/dev/null', '/dev/mynull', 'rw');
  assert.deepEqual([d.device.type, d.device.path, d.device.major, d.device.minor], ['c', '/dev/mynull', 1, 3]);
  assert.deepEqual(d.rule, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
  assert.throws(() => deviceFromHost('/dev/no-such-device'), /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
  assert.throws(() => deviceFromHost('/etc/hostname'), /not a device node/);
  assert.throws(() => deviceFromHost('/dev/null', '/dev/null', 'rwx'), /invalid device permissions/);
  const s = generateSpec(base({ devices: [d] }));
  assert.deepEqual(s.linux.devices, [d.device]);
  assert.deepEqual(s.linux.resources?.devices?.at(-1), d.rule);
});
