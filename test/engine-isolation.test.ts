// Isolation as seen from inside a container started by `berth run`: namespaces, the exact
// capability set, seccomp, masked and read-only paths, cgroup limits, and the flags that relax them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, makeImage, mountsUnder, ok, runtimeProcesses } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

const field = (out: string, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(out)?.[1];
const sh = (script: string) => ['sh', '-c', script];
const execFileP = promisify(execFile);

test('default confinement: own PID 1 and no host processes, the 14 capabilities, seccomp, masked /proc, read-only /sys', async () => {
  const script = [
    'echo pid=$$',
    'echo procs=$(ls /proc | grep -E "^[0-9]+$" | tr "\\n" " ")',
    'grep -E "^(CapBnd|CapEff|CapPrm|CapInh|CapAmb|Seccomp|NoNewPrivs):" /proc/self/status | sed "s/:\\s*/=/"',
    'unshare -U true 2>/dev/null; echo unshare=$?',
    'sysprobe',
    'echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c)',
    'echo timer=$(cat /proc/timer_list 2>/dev/null | wc -c)',
    'touch /sys/kernel/x 2>/dev/null; echo sys_write=$?',
    'echo 1 2>/dev/null > /proc/sysrq-trigger; echo sysrq=$?',
    'echo hostname=$(hostname)',
    'echo hosts=$(grep -c localhost /etc/hosts)',
    'echo netdevs=$(ls /sys/class/net | tr "\\n" " ")',
    'echo uid=$(id -u)',
    'echo env=$IMAGE_VAR',
  ].join('; ');
  const out = await ok(fx, ['run', '--rm', '--hostname', 'box1', fx.image, ...sh(script)]);
  assert.equal(field(out, 'pid'), '1');
  const pids = (field(out, 'procs') ?? '').trim().split(' ').map(Number);
  assert.ok(pids.includes(1) && pids.every((p) => p < 30), `processes visible: ${pids}`);
  for (const k of ['CapBnd', 'CapEff', 'CapPrm']) assert.equal(field(out, k), '00000000a80425fb', k);
  assert.equal(field(out, 'CapInh'), '0000000000000000');
  assert.equal(field(out, 'CapAmb'), '0000000000000000');
  assert.equal(field(out, 'Seccomp'), '2');
  assert.equal(field(out, 'NoNewPrivs'), '0');
  assert.notEqual(field(out, 'unshare'), '0', 'seccomp refuses unshare');
  assert.equal(field(out, 'keyctl'), 'Operation not permitted');
  assert.equal(field(out, 'kcore'), '0');
  assert.equal(field(out, 'timer'), '0');
  assert.notEqual(field(out, 'sys_write'), '0');
  assert.notEqual(field(out, 'sysrq'), '0');
  assert.equal(field(out, 'hostname'), 'box1');
  assert.ok(Number(field(out, 'hosts')) >= 1);
  assert.equal(field(out, 'netdevs')?.trim(), 'lo', '--network none by default: loopback only');
  assert.equal(field(out, 'uid'), '0');
  assert.equal(field(out, 'env'), 'from-image');
});

test('--read-only refuses writes but --tmpfs and -v give writable places; the bind source is the host dir', async () => {
  const hostDir = path.join(fx.dir, 'bind');
  await fs.mkdir(hostDir, { recursive: true });
  await fs.writeFile(path.join(hostDir, 'in'), 'from host\n');
  const script = 'touch /x 2>/dev/null; echo root=$?; touch /scratch/y; echo tmpfs=$?; cat /data/in; echo made > /data/out; touch /ro/z 2>/dev/null; echo ro=$?';
  const out = await ok(fx, ['run', '--rm', '--read-only', '--tmpfs', '/scratch', '-v', `${hostDir}:/data`, '-v', `${hostDir}:/ro:ro`, fx.image, ...sh(script)]);
  assert.notEqual(field(out, 'root'), '0');
  assert.equal(field(out, 'tmpfs'), '0');
  assert.match(out, /^from host$/m);
  assert.notEqual(field(out, 'ro'), '0');
  assert.equal(await fs.readFile(path.join(hostDir, 'out'), 'utf8'), 'made\n');
});

test('memory and pids limits are enforced (OOM kill is exit 137; forks beyond the limit fail)', async () => {
  const oom = await berth(fx, ['run', '--rm', '--memory', '16m', '--memory-swap', '16m', fx.image, ...sh('x=a; while true; do x="$x$x"; done')]);
  assert.equal(oom.code, 137);
  // Room above runc's own init (a Go program: its threads count against the limit until it
  // execs the command; a limit of 5 failed there once on a loaded host), then forks beyond it.
  const pids = await berth(fx, ['run', '--rm', '--pids-limit', '12', fx.image, ...sh('cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; for i in $(seq 20); do sleep 2 & done')]);
  assert.match(pids.stdout, /^12$/m);
  assert.notEqual(pids.code, 0, 'forks beyond the limit fail');
  assert.match(pids.stderr, /fork|Resource temporarily unavailable/i);
  const cpu = await ok(fx, ['run', '--rm', '--cpus', '0.5', '--cpu-shares', '512', fx.image, ...sh('cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.max')]);
  assert.match(cpu, /50000/);
});

test('the CFS period and quota, cpusets, swappiness and the OOM killer reach the cgroup', async () => {
  const files = 'cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us cpuset/cpuset.cpus cpuset/cpuset.mems memory/memory.swappiness';
  const v1 = `cd /sys/fs/cgroup && for f in ${files}; do echo $(basename $f)=$(cat $f); done; grep oom_kill_disable memory/memory.oom_control | tr " " =`;
  const out = await ok(fx, ['run', '--rm', '--cpu-period', '50000', '--cpu-quota', '25000', '--cpuset-cpus', '0', '--cpuset-mems', '0', '--memory-swappiness', '10', '--oom-kill-disable', '-m', '64m', fx.image, ...sh(`if [ -d /sys/fs/cgroup/cpu ]; then ${v1}; else echo cpu.max=$(cat /sys/fs/cgroup/cpu.max); fi`)]);
  if (field(out, 'cpu.max') !== undefined) assert.equal(field(out, 'cpu.max'), '25000 50000');
  else {
    assert.equal(field(out, 'cpu.cfs_period_us'), '50000');
    assert.equal(field(out, 'cpu.cfs_quota_us'), '25000');
    assert.equal(field(out, 'cpuset.cpus'), '0');
    assert.equal(field(out, 'cpuset.mems'), '0');
    assert.equal(field(out, 'memory.swappiness'), '10');
    assert.equal(field(out, 'oom_kill_disable'), '1');
  }
  // Block I/O limits on a block device of this host (any will do: the limit only has to land).
  let dev = '';
  for (const name of await fs.readdir('/sys/block')) {
    const st = await fs.stat(`/dev/${name}`).catch(() => undefined);
    if (st?.isBlockDevice()) {
      dev = `/dev/${name}`;
      break;
    }
  }
  assert.notEqual(dev, '', 'a block device under /dev for the throttle rules');
  const [maj, min] = (await fs.readFile(`/sys/block/${path.basename(dev)}/dev`, 'utf8')).trim().split(':');
  const blkio = 'cd /sys/fs/cgroup; if [ -d blkio ]; then cat blkio/blkio.throttle.read_bps_device blkio/blkio.throttle.write_iops_device; else cat io.max; fi';
  const io = await ok(fx, ['run', '--rm', '--device-read-bps', `${dev}:1mb`, '--device-write-iops', `${dev}:100`, fx.image, ...sh(blkio)]);
  if (io.includes('rbps=')) assert.match(io, new RegExp(`^${maj}:${min} rbps=1048576 wbps=max riops=max wiops=100$`, 'm'));
  else assert.deepEqual(io.split('\n'), [`${maj}:${min} 1048576`, `${maj}:${min} 100`]);
  // Refused before anything is made, as docker refuses them.
  for (const [flags, message] of [
    [['--device-read-bps', '/dev/null:1mb'], /not a block device/],
    [['--device-read-bps', 'vda:1'], /the format is <device-path>:<number>\[<unit>\]/],
    [['--blkio-weight', '5'], /range of blkio weight is from 10 to 1000/],
    [['--cpu-period', '500'], /can not be less than 1ms/],
    [['--cpuset-cpus', '0-4096'], /requested CPUs are not available/],
    [['--memory-swappiness', '101'], /range is 0-100/],
  ] as const) {
    const r = await berth(fx, ['run', '--rm', ...flags, fx.image, 'true']);
    assert.equal(r.code, 125, flags.join(' '));
    assert.match(r.stderr, message);
  }
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test('--sysctl, --device, --group-add, --oom-score-adj, --cgroupns, --domainname, --annotation, --label-file, --cidfile', async () => {
  const labelFile = path.join(fx.dir, 'labels');
  // docker's label file: an env file's rules, a bare name dropped, a value kept as written.
  await fs.writeFile(labelFile, '# team\nteam=blue\nbare\n  spaced=two words \n');
  const cid = path.join(fx.dir, 'cid');
  const script = [
    // (busybox's read takes procfs files a byte at a time, which sysctl files do not serve)
    'echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)',
    'echo msgmax=$(cat /proc/sys/kernel/msgmax)',
    'echo x > /dev/mynull && echo wrote=yes',
    'echo zero=$(head -c 3 /dev/zero | wc -c)',
    'echo groups=$(id -G)',
    'echo oom=$(cat /proc/self/oom_score_adj)',
    'echo domain=$(cat /proc/sys/kernel/domainname)',
    'echo cgroup=$(grep -c ":/$" /proc/self/cgroup)',
    'echo db=$(grep -w db /etc/hosts)',
    'echo resolv=$(cat /etc/resolv.conf)',
  ].join('; ');
  const out = await ok(fx, [
    'run', '--name', 'flags', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.msgmax=65536', '--device', '/dev/null:/dev/mynull:rw', '--device', '/dev/zero',
    '--group-add', 'extra', '--group-add', '4242', '--oom-score-adj', '500', '--cgroupns', 'private', '--domainname', 'example.org',
    '--annotation', 'org.example.x=1', '--label-file', labelFile, '--label', 'team=red', '--cidfile', cid,
    '--add-host', 'db:10.0.0.5', '--dns', '9.9.9.9', '--dns-search', 'example.com', '--dns-option', 'ndots:2', fx.image, ...sh(script),
  ]);
  assert.equal(field(out, 'ip_forward'), '1');
  assert.equal(field(out, 'msgmax'), '65536');
  assert.equal(field(out, 'wrote'), 'yes');
  assert.equal(field(out, 'zero'), '3');
  assert.deepEqual(field(out, 'groups')?.split(' ').sort(), ['0', '2000', '4242']);
  assert.equal(field(out, 'oom'), '500');
  assert.equal(field(out, 'domain'), 'example.org');
  // A private cgroup namespace: every hierarchy is the container's own root.
  assert.notEqual(field(out, 'cgroup'), '0');
  assert.equal(field(out, 'db'), '10.0.0.5 db');
  assert.equal(field(out, 'resolv'), 'search example.com nameserver 9.9.9.9 options ndots:2');
  const id = await fs.readFile(cid, 'utf8');
  assert.match(id, /^[0-9a-f]{64}$/);
  const view = JSON.parse(await ok(fx, ['inspect', '--format', '{{json .}}', 'flags']));
  assert.equal(view.Id, id);
  assert.deepEqual(view.Config.Labels, { team: 'red', spaced: 'two words ' });
  // A name with blanks is refused with docker's words (it says env file for either).
  await fs.writeFile(labelFile, 'export team=blue\n');
  const spaced = await berth(fx, ['create', '--label-file', labelFile, fx.image, 'true']);
  assert.equal(spaced.code, 125);
  assert.match(spaced.stderr, /invalid env file \(.*labels\): variable 'export team' contains whitespaces/);
  assert.equal(view.Config.Domainname, 'example.org');
  assert.deepEqual(view.HostConfig.Sysctls, { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '65536' });
  assert.deepEqual(view.HostConfig.Devices[0], { PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' });
  assert.deepEqual(view.HostConfig.GroupAdd, ['extra', '4242']);
  assert.equal(view.HostConfig.OomScoreAdj, 500);
  assert.equal(view.HostConfig.CgroupnsMode, 'private');
  assert.deepEqual(view.HostConfig.Annotations, { 'org.example.x': '1' });
  assert.equal(view.HostConfig.ContainerIDFile, cid);
  // docker's fields of a container without a network of its own, and of an attached run.
  assert.equal(view.NetworkSettings.IPAddress, '');
  assert.deepEqual(Object.keys(view.NetworkSettings.Networks), ['none']);
  assert.equal(view.NetworkSettings.Networks.none.IPAddress, '');
  assert.deepEqual([view.Config.AttachStdin, view.Config.AttachStdout, view.Config.AttachStderr, view.Config.StdinOnce], [false, true, true, false]);
  assert.ok(view.HostConfig.MaskedPaths.includes('/proc/kcore'));
  assert.ok(view.HostConfig.ReadonlyPaths.includes('/proc/sys'));
  // The writable layer's dirs as docker's overlay2 names them.
  assert.ok((await fs.stat(view.GraphDriver.Data.UpperDir)).isDirectory());
  assert.ok(view.GraphDriver.Data.LowerDir.split(':').every((d: string) => d.endsWith('/diff')));
  // create -a and -i: docker's Attach* and StdinOnce; run -d attaches nothing; --privileged masks nothing.
  const attachOf = async (args: string[]) => {
    const c = await ok(fx, args);
    const v = await ok(fx, ['inspect', '-f', '{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}} {{.Config.StdinOnce}} {{json .HostConfig.MaskedPaths}}', c]);
    await ok(fx, ['rm', '-f', c]);
    return v;
  };
  assert.equal(await attachOf(['create', '-i', fx.image, 'true']), 'true true true true [' + view.HostConfig.MaskedPaths.map((p: string) => JSON.stringify(p)).join(',') + ']');
  assert.equal(await attachOf(['create', '-a', 'stdout', '--privileged', fx.image, 'true']), 'false true false false null');
  assert.match(await attachOf(['run', '-d', fx.image, 'sleep', '10']), /^false false false false /);
  // The same --cidfile again: docker refuses before creating anything.
  const again = await berth(fx, ['run', '--rm', '--cidfile', cid, fx.image, 'true']);
  assert.equal(again.code, 125);
  assert.match(again.stderr, /container ID file found/);
  await ok(fx, ['rm', 'flags']);
  // A create that fails takes its --cidfile with it.
  const cid2 = path.join(fx.dir, 'cid2');
  assert.equal((await berth(fx, ['run', '--rm', '--cidfile', cid2, 'no-such-image-here', 'true'])).code, 125);
  await assert.rejects(fs.stat(cid2), { code: 'ENOENT' });
  for (const [flags, message] of [
    // Each in docker's words (docker CLI 28.2.2 and dockerd 20.10), where berth had its own.
    [['--sysctl', 'kernel.panic=1'], /^invalid argument "kernel.panic=1" for "--sysctl" flag: sysctl 'kernel.panic=1' is not allowed\n\nUsage: /],
    [['--sysctl', 'kernel.shmmax'], /^invalid argument "kernel.shmmax" for "--sysctl" flag: sysctl 'kernel.shmmax' is not allowed\n/],
    [['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1'], /needs a private network namespace/],
    [['--device', '/dev/no-such-device'], /^Error: error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory\n$/],
    [['--device', '/etc/hostname'], /^Error: error gathering device information while adding custom device "\/etc\/hostname": not a device node\n$/],
    [['--device', '/dev/null:/x:rwx'], /^Error: bad mode specified: rwx\n$/],
    [['--device', 'dev/null'], /^Error: dev\/null is not an absolute path\n$/],
    [['--group-add', 'nosuchgroup'], /^Error: Unable to find group nosuchgroup: no matching entries in group file\n$/],
    [['--oom-score-adj', '1001'], /range for oom score adj is \[-1000, 1000\]/],
    [['--cgroupns', 'shared'], /^Error: --cgroupns: invalid CGROUP mode\n$/],
    [['--pid', 'bogus'], /^Error: --pid: invalid PID mode\n$/],
    [['--pid', 'container:'], /^Error: --pid: invalid PID mode\n$/],
    [['--uts', 'bogus'], /^Error: --uts: invalid UTS mode\n$/],
    [['--ipc', 'bogus'], /^Error: Invalid IPC mode: bogus\n$/],
    [['--uts', 'host', '--domainname', 'x'], /conflicting options/],
    [['--platform', 'windows/amd64'], /linux containers only/],
    [['--add-host', 'db'], /^invalid argument "db" for "--add-host" flag: bad format for add-host: "db"\n\nUsage: /],
    [['--add-host', 'db:10.0.0.300'], /^invalid argument "db:10.0.0.300" for "--add-host" flag: invalid IP address in add-host: "10.0.0.300"\n/],
    [['--dns', 'dns.example'], /^invalid argument "dns.example" for "--dns" flag: IP address is not correctly formatted: dns.example\n/],
    [['--platform', 'linux/arm64', '--pull', 'never'], /does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/],
  ] as const) {
    const r = await berth(fx, ['run', '--rm', ...flags, fx.image, 'true']);
    assert.equal(r.code, 125, flags.join(' '));
    assert.match(r.stderr, message, flags.join(' '));
  }
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.deepEqual(await mountsUnder(fx), []);
});

test("--pid, --ipc and --network container:NAME join a running container's namespaces and /etc files", async () => {
  await ok(fx, ['run', '-d', '--name', 'joined-target', '--hostname', 'tgt-host', fx.image, 'sleep', '1000']);
  const nsOf = 'for n in pid net ipc; do echo $n=$(readlink /proc/self/ns/$n); done';
  const theirs = await ok(fx, ['exec', 'joined-target', 'sh', '-c', nsOf]);
  const mine = await ok(fx, ['run', '--rm', '--pid', 'container:joined-target', '--ipc', 'container:joined-target', '--network', 'container:joined-target', fx.image, ...sh(`${nsOf}; echo host=$(cat /etc/hostname)/$(hostname); echo pid1=$(cat /proc/1/cmdline | tr "\\0" " ")`)]);
  for (const n of ['pid', 'net', 'ipc']) assert.equal(field(mine, n), field(theirs, n), n);
  assert.equal(field(mine, 'host'), 'tgt-host/tgt-host');
  assert.equal(field(mine, 'pid1')?.trim(), 'sleep 1000');
  // Recorded by ID, as docker does.
  const id = await ok(fx, ['inspect', '-f', '{{.Id}}', 'joined-target']);
  await ok(fx, ['create', '--name', 'joiner', '--pid', 'container:joined-target', fx.image, 'true']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.PidMode}}', 'joiner']), `container:${id}`);
  await ok(fx, ['stop', '--timeout', '0', 'joined-target']);
  const stopped = await berth(fx, ['start', 'joiner']);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /cannot join the pid namespace of container joined-target: it is not running/);
  for (const [flags, message] of [
    [['--pid', 'container:no-such-one'], /No such container: no-such-one/],
    [['--network', 'container:joined-target', '--hostname', 'x'], /conflicting options: --hostname and the network mode/],
    [['--ipc', 'container:'], /name a container after "container:"/],
    [['--network', 'bridge'], /berth supports none, host and container:NAME/],
  ] as const) {
    const r = await berth(fx, ['run', '--rm', ...flags, fx.image, 'true']);
    assert.equal(r.code, 125, flags.join(' '));
    assert.match(r.stderr, message);
  }
  await ok(fx, ['rm', 'joiner', 'joined-target']);
});

test('--ipc shareable: its /dev/shm is a tmpfs on the host that a container joining its IPC shares; a private one keeps its own', async () => {
  await ok(fx, ['run', '-d', '--name', 'shm-donor', '--ipc', 'shareable', '--shm-size', '8m', fx.image, 'sleep', '1000']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.IpcMode}}', 'shm-donor']), 'shareable');
  await ok(fx, ['exec', 'shm-donor', ...sh('echo from-donor > /dev/shm/note')]);
  const joiner = await ok(fx, ['run', '--rm', '--ipc', 'container:shm-donor', fx.image, ...sh("cat /dev/shm/note; echo answer > /dev/shm/back; df -k /dev/shm | tail -1 | awk '{print $2}'")]);
  assert.deepEqual(joiner.split('\n'), ['from-donor', '8192']);
  assert.equal(await ok(fx, ['exec', 'shm-donor', 'cat', '/dev/shm/back']), 'answer');
  // While it runs, its /dev/shm is a mount in the run root; a stop takes it away, a start makes a new one.
  assert.equal((await mountsUnder(fx)).filter((m) => m.endsWith('/shm')).length, 1);
  await ok(fx, ['stop', '-t', '0', 'shm-donor']);
  assert.deepEqual((await mountsUnder(fx)).filter((m) => m.endsWith('/shm')), []);
  await ok(fx, ['start', 'shm-donor']);
  assert.equal(await ok(fx, ['exec', 'shm-donor', ...sh('ls /dev/shm | wc -l')]), '0');
  // A private container's /dev/shm is not shared: its IPC namespace is, the joiner's tmpfs is its own.
  await ok(fx, ['run', '-d', '--name', 'shm-private', fx.image, 'sleep', '1000']);
  await ok(fx, ['exec', 'shm-private', ...sh('echo private > /dev/shm/note')]);
  assert.equal(await ok(fx, ['run', '--rm', '--ipc', 'container:shm-private', fx.image, ...sh('ls /dev/shm | wc -l')]), '0');
  await ok(fx, ['rm', '-f', 'shm-donor', 'shm-private']);
  // --ipc host: the host's /dev/shm, as dockerd binds it (docker run --ipc host lists the
  // host's files there); berth gave a tmpfs of the container's own.
  const marker = `berth-ipc-host-${process.pid}`;
  await fs.writeFile(path.join('/dev/shm', marker), 'from the host\n');
  try {
    assert.equal(await ok(fx, ['run', '--rm', '--ipc', 'host', fx.image, 'cat', `/dev/shm/${marker}`]), 'from the host');
  } finally {
    await fs.rm(path.join('/dev/shm', marker), { force: true });
  }
  assert.deepEqual(await mountsUnder(fx), []);
});

test("inspect's CapAdd, CapDrop and Ulimits as docker's CLI sends them and its daemon shows them", async () => {
  // docker CLI 28.2.2 with dockerd 20.10: --cap-add sys_admin --cap-add net_admin --cap-add
  // SYS_admin --cap-drop setuid --cap-drop ALL shows ["CAP_NET_ADMIN","CAP_SYS_ADMIN"] and
  // ["ALL","CAP_SETUID"]; --ulimit nofile=-1 --ulimit nofile=5 --ulimit core=1:2 shows
  // [{"Name":"core","Hard":2,"Soft":1},{"Name":"nofile","Hard":5,"Soft":5}]. berth showed the
  // names as given and {"Name":"nofile","Value":"5"}.
  const id = await ok(fx, [
    'create', '--cap-add', 'sys_admin', '--cap-add', 'net_admin', '--cap-add', 'SYS_admin', '--cap-drop', 'setuid', '--cap-drop', 'ALL',
    '--ulimit', 'nofile=-1', '--ulimit', 'nofile=5', '--ulimit', 'core=1:2', fx.image, 'true',
  ]);
  assert.equal(
    await ok(fx, ['inspect', '-f', '{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{json .HostConfig.Ulimits}}', id]),
    '["CAP_NET_ADMIN","CAP_SYS_ADMIN"] ["ALL","CAP_SETUID"] [{"Name":"core","Hard":2,"Soft":1},{"Name":"nofile","Hard":5,"Soft":5}]',
  );
  assert.equal(await ok(fx, ['inspect', '-f', '{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}} {{end}}', id]), 'core=1:2 nofile=5:5');
  await ok(fx, ['rm', id]);
  // What the container gets follows: the last nofile, the capabilities added once.
  const seen = await ok(fx, ['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'chown', '--cap-add', 'CAP_CHOWN', '--ulimit', 'nofile=7', '--ulimit', 'nofile=64:128', fx.image, ...sh('grep CapEff /proc/self/status; ulimit -n')]);
  assert.equal(seen, 'CapEff:\t0000000000000001\n64');
});

test('--device-cgroup-rule opens a device the default rules close; --expose, --init-path; refused: --storage-opt, --isolation', async () => {
  const readLoop = sh('mknod /tmp/l0 b 7 0 && head -c 1 /tmp/l0 > /dev/null 2>&1; echo rc=$?');
  assert.notEqual(field(await ok(fx, ['run', '--rm', fx.image, ...readLoop]), 'rc'), '0', 'read of a block device the default rules close');
  assert.equal(field(await ok(fx, ['run', '--rm', '--device-cgroup-rule', 'b 7:0 r', fx.image, ...readLoop]), 'rc'), '0');
  await ok(fx, ['create', '--name', 'exp', '--expose', '80', '--expose', '9000-9001/udp', '--device-cgroup-rule', 'c 1:3 rwm', fx.image, 'true']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .Config.ExposedPorts}} {{json .HostConfig.DeviceCgroupRules}}', 'exp']), '{"80/tcp":{},"9000/udp":{},"9001/udp":{}} ["c 1:3 rwm"]');
  await ok(fx, ['rm', 'exp']);
  for (const [flags, message] of [
    [['--device-cgroup-rule', 'x 1:3 rwm'], /want TYPE MAJOR:MINOR ACCESS/],
    [['--expose', '70000'], /1-65535/],
    [['--storage-opt', 'size=1G'], /no per-container options/],
    [['--isolation', 'hyperv'], /linux only supports 'default'/],
    [['--init', '--init-path', '/no/such/init'], /no init binary at \/no\/such\/init/],
  ] as const) {
    const r = await berth(fx, ['run', '--rm', ...flags, fx.image, 'true']);
    assert.equal(r.code, 125, flags.join(' '));
    assert.match(r.stderr, message);
  }
});

test('--privileged, --cap-add/--cap-drop, no-new-privileges, seccomp=unconfined', async () => {
  const caps = 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status | sed "s/:\\s*/=/"';
  const priv = await ok(fx, ['run', '--rm', '--privileged', fx.image, ...sh(`${caps}; ls /dev | wc -l | sed "s/^/devs=/"`)]);
  assert.equal(field(priv, 'Seccomp'), '0');
  assert.notEqual(field(priv, 'CapEff'), '00000000a80425fb');
  assert.ok(Number(field(priv, 'devs')) > 20, 'host devices');
  const dropped = await ok(fx, ['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'NET_RAW', '--security-opt', 'no-new-privileges', fx.image, ...sh(caps)]);
  assert.equal(field(dropped, 'CapEff'), '0000000000002000');
  assert.equal(field(dropped, 'NoNewPrivs'), '1');
  const unconfined = await ok(fx, ['run', '--rm', '--security-opt', 'seccomp=unconfined', fx.image, ...sh(caps)]);
  assert.equal(field(unconfined, 'Seccomp'), '0');
});

test('--user, -w, --entrypoint, -e over the image env, --env-file, --ulimit, --init, --pid=host, --network host', async () => {
  const envFile = path.join(fx.dir, 'env');
  await fs.writeFile(envFile, '# comment\nFROM_FILE=yes\n');
  const out = await ok(fx, ['run', '--rm', '-u', 'app', '-w', '/home/app/work', '-e', 'IMAGE_VAR=overridden', '--env-file', envFile, '--ulimit', 'nofile=256:512', fx.image, ...sh('echo id=$(id -u):$(id -g):$(id -G | tr " " ,); echo pwd=$(pwd); echo v=$IMAGE_VAR $FROM_FILE; echo nofile=$(ulimit -n); echo home=$HOME')]);
  assert.equal(field(out, 'id'), '1000:1000:1000,2000');
  assert.equal(field(out, 'pwd'), '/home/app/work');
  assert.equal(field(out, 'v'), 'overridden yes');
  assert.equal(field(out, 'nofile'), '256');
  assert.equal(field(out, 'home'), '/home/app');
  assert.equal(await ok(fx, ['run', '--rm', '--entrypoint', '/bin/echo', fx.image, 'from', 'entrypoint']), 'from entrypoint');
  assert.equal(await ok(fx, ['run', '--rm', '-u', '4242:4343', fx.image, 'id', '-u']), '4242');
  assert.match(await ok(fx, ['run', '--rm', '--init', fx.image, 'cat', '/proc/1/cmdline']), /^\/dev\/init/);
  const hostPid = await ok(fx, ['run', '--rm', '--pid', 'host', fx.image, ...sh('ls /proc | grep -cE "^[0-9]+$"')]);
  assert.ok(Number(hostPid) > 30, 'the host PID namespace shows host processes');
  const net = await ok(fx, ['run', '--rm', '--network', 'host', fx.image, ...sh('ls /sys/class/net | wc -l')]);
  assert.ok(Number(net) >= 1);
  // dockerd 20.10: a container on the host's network is named after the host (hostname, HOSTNAME,
  // /etc/hostname and inspect's Config.Hostname), unless -h names it; berth gave it its ID.
  const hostNamed = await ok(fx, ['run', '--rm', '--network', 'host', fx.image, ...sh('echo $(hostname) $HOSTNAME $(cat /etc/hostname)')]);
  assert.equal(hostNamed, Array(3).fill(os.hostname()).join(' '));
  assert.equal(await ok(fx, ['run', '--rm', '--network', 'host', '-h', 'mine', fx.image, 'hostname']), 'mine');
  const onHost = await ok(fx, ['create', '--network', 'host', fx.image, 'true']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Config.Hostname}}', onHost]), os.hostname());
  await ok(fx, ['rm', onHost]);
  // --env-file read as docker's CLI reads it: leading blanks dropped, values as written, a bare
  // name from this environment or skipped when unset; a name with blanks refused.
  await fs.writeFile(envFile, '  LEAD=x\nSPACED=a b \nBERTH_E2E_SET\nBERTH_E2E_UNSET\n');
  const env = await berth(fx, ['run', '--rm', '--env-file', envFile, fx.image, 'sh', '-c', 'echo "$LEAD|$SPACED|$BERTH_E2E_SET|${BERTH_E2E_UNSET-unset}"'], { env: { BERTH_E2E_SET: 'from-cli' } });
  assert.equal(env.stdout, 'x|a b |from-cli|unset\n');
  // dockerd 20.10 for --env-file (A=file, B=file) -e A=flag -e PATH=/x:/bin -e HOME=/h: PATH
  // first, HOSTNAME, then the rest in order; berth put PATH and HOSTNAME after them.
  await fs.writeFile(envFile, 'A=file\nB=file\n');
  // (cat as PID 1 reads the environment the runtime gave it, in its order.)
  const ordered = await ok(fx, ['run', '--rm', '-h', 'hn', '--env-file', envFile, '-e', 'A=flag', '-e', 'PATH=/x:/bin', '-e', 'HOME=/h', fx.image, '/bin/cat', '/proc/1/environ']);
  assert.equal(ordered.split('\0').join(' '), 'PATH=/x:/bin HOSTNAME=hn IMAGE_VAR=from-image A=flag B=file HOME=/h ');
  await fs.writeFile(envFile, 'export A=1\n');
  const exported = await berth(fx, ['run', '--rm', '--env-file', envFile, fx.image, 'true']);
  assert.equal(exported.code, 125);
  assert.match(exported.stderr, /variable 'export A' contains whitespaces/);
  // A relative -w: docker's daemon refuses it.
  const rel = await berth(fx, ['run', '--rm', '-w', 'rel', fx.image, 'pwd']);
  assert.equal(rel.code, 125);
  assert.match(rel.stderr, /the working directory 'rel' is invalid, it needs to be an absolute path/);
  // One that is a file: said in the container's paths (berth's message showed the host's path
  // and Node's "file already exists"; dockerd 20.10: "Cannot mkdir: /etc/passwd is not a directory").
  const file = await berth(fx, ['run', '--rm', '-w', '/etc/passwd', fx.image, 'true']);
  assert.deepEqual([file.code, file.stderr], [125, 'Error: cannot create working directory /etc/passwd: it or a directory above it is not a directory\n']);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test('a missing user, an out-of-range id, an image without command: clear errors, nothing left', async () => {
  // dockerd: 'Error response from daemon: unable to find user ghost: no matching entries in
  // passwd file'; berth put 'cannot start container: ' before it.
  const missing = await berth(fx, ['run', '--rm', '-u', 'ghost', fx.image, 'true']);
  assert.deepEqual([missing.code, missing.stderr], [125, 'Error: unable to find user ghost: no matching entries in passwd file\n']);
  const group = await berth(fx, ['run', '--rm', '--group-add', 'ghosts', fx.image, 'true']);
  assert.deepEqual([group.code, group.stderr], [125, 'Error: Unable to find group ghosts: no matching entries in group file\n']);
  const range = await berth(fx, ['run', '--rm', '-u', '99999999999', fx.image, 'true']);
  assert.equal(range.code, 125);
  assert.match(range.stderr, /ids range from 0/);
  await makeImage(fx, 'hostile/nocmd:1', { Env: ['PATH=/bin'] });
  // dockerd refuses it at create: 'Error response from daemon: No command specified' (create
  // exits 1); berth made the container and refused its start in its own words.
  const nocmd = await berth(fx, ['run', '--rm', 'hostile/nocmd:1']);
  assert.deepEqual([nocmd.code, nocmd.stderr], [125, 'Error: No command specified\n']);
  const nocmdCreate = await berth(fx, ['create', 'hostile/nocmd:1']);
  assert.deepEqual([nocmdCreate.code, nocmdCreate.stderr], [1, 'Error: No command specified\n']);
  await makeImage(fx, 'hostile/user:1', { Cmd: ['true'], User: 'nosuchuser' });
  assert.match((await berth(fx, ['run', '--rm', 'hostile/user:1'])).stderr, /unable to find user nosuchuser/);
  // docker's order: its daemon's user lookup (125) comes before runc's exec (127).
  const both = await berth(fx, ['run', '--rm', '-u', 'nosuchuser', fx.image, 'no-such-command']);
  assert.equal(both.code, 125);
  assert.match(both.stderr, /unable to find user nosuchuser/);
  // The supplementary groups as docker's: root's own group, a uid:gid's gid.
  assert.match(await ok(fx, ['run', '--rm', fx.image, 'grep', 'Groups', '/proc/self/status']), /^Groups:\s+0\s*$/);
  assert.match(await ok(fx, ['run', '--rm', '-u', '4242:77', fx.image, 'grep', 'Groups', '/proc/self/status']), /^Groups:\s+77\s*$/);
  // and run's -h is --hostname, as docker's.
  assert.equal(await ok(fx, ['run', '--rm', '-h', 'shorthost', fx.image, 'sh', '-c', 'read h < /etc/hostname; echo $h']), 'shorthost');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.deepEqual(await mountsUnder(fx), []);
});


test('the runtime starts before its spec: an aborted start leaves no runtime and no FIFO; a spec over 64 KiB', async () => {
  // run -d: conmon and runc start while the rootfs is mounted; the missing user aborts them.
  const bad = await berth(fx, ['run', '-d', '--name', 'handoff-ghost', '-u', 'ghost', fx.image, 'sleep', '60']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /unable to find user ghost/);
  assert.doesNotMatch(bad.stderr, /process property|panic|EOF/);
  assert.match(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.Error}}', 'handoff-ghost']), /^created .*unable to find user ghost/);
  const id = await ok(fx, ['inspect', '-f', '{{.Id}}', 'handoff-ghost']);
  await assert.rejects(fs.lstat(path.join(fx.root, 'containers', id, 'bundle', 'config.json')), /ENOENT/);
  assert.deepEqual(runtimeProcesses(fx), []);
  await ok(fx, ['rm', 'handoff-ghost']);
  // The foreground run (run --rm) kills its runtime: nothing of runc's on the CLI's stderr.
  const fg = await berth(fx, ['run', '--rm', '-u', 'ghost', fx.image, 'true']);
  assert.equal(fg.code, 125);
  assert.equal(fg.stderr.trim().split('\n').length, 1, fg.stderr);
  assert.deepEqual(runtimeProcesses(fx), []);
  // A spec larger than a pipe holds by default reaches the runtime whole.
  const envFile = path.join(fx.dir, 'big.env');
  await fs.writeFile(envFile, Array.from({ length: 100 }, (_, i) => `BIG_${i}=${'x'.repeat(1000)}\n`).join(''));
  assert.equal(await ok(fx, ['run', '--rm', '--env-file', envFile, fx.image, ...sh('echo ${#BIG_99}')]), '1000');
  const d = await ok(fx, ['run', '-d', '--env-file', envFile, fx.image, 'sleep', '60']);
  assert.equal(await ok(fx, ['exec', d, ...sh('echo ${#BIG_0}')]), '1000');
  await ok(fx, ['rm', '-f', d]);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.deepEqual(await mountsUnder(fx), []);
});

test('--cgroup-parent places the container\'s cgroup under it; --gpus and a volume driver other than local are refused', async () => {
  const parent = `berth-e2e-parent-${process.pid}`;
  const id = await ok(fx, ['run', '-d', '--cgroup-parent', `${parent}/x`, fx.image, 'sleep', '60']);
  try {
    assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.CgroupParent}}', id]), `/${parent}/x`);
    const pid = await ok(fx, ['inspect', '-f', '{{.State.Pid}}', id]);
    // The host's view of the init's cgroups: each hierarchy's path is under the parent.
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
    const memory = lines.find((l) => l.split(':')[1].split(',').includes('memory')) ?? lines.find((l) => l.startsWith('0::'));
    assert.ok(memory?.endsWith(`/${parent}/x/${id}`), memory);
    await ok(fx, ['rm', '-f', id]);
    assert.ok(!readdirSync('/sys/fs/cgroup').some((c) => existsSync(`/sys/fs/cgroup/${c}/${parent}/x/${id}`)), 'the container\'s own cgroup goes with it');
  } finally {
    await berth(fx, ['rm', '-f', id]);
    // What runc made for the parent stays, as docker leaves it: this test's own goes here.
    for (const c of readdirSync('/sys/fs/cgroup')) {
      for (const d of [`/sys/fs/cgroup/${c}/${parent}/x`, `/sys/fs/cgroup/${c}/${parent}`]) await fs.rmdir(d).catch(() => {});
    }
    await fs.rmdir(`/sys/fs/cgroup/${parent}/x`).catch(() => {});
    await fs.rmdir(`/sys/fs/cgroup/${parent}`).catch(() => {});
  }
  const dotdot = await berth(fx, ['run', '--rm', '--cgroup-parent', '../etc', fx.image, 'true']);
  assert.equal(dotdot.code, 125);
  assert.match(dotdot.stderr, /invalid --cgroup-parent "..\/etc"/);
  const publish = await berth(fx, ['run', '--rm', '-p', '8080:80', fx.image, 'true']);
  assert.equal(publish.code, 125);
  assert.match(publish.stderr, /cannot publish ports .*no bridged networks yet/);
  const gpus = await berth(fx, ['run', '--rm', '--gpus', 'all', fx.image, 'true']);
  assert.equal(gpus.code, 125);
  assert.match(gpus.stderr, /could not select device driver "" with capabilities: \[\[gpu\]\]/);
  const driver = await berth(fx, ['run', '--rm', '--volume-driver', 'nfs', fx.image, 'true']);
  assert.equal(driver.code, 125);
  assert.match(driver.stderr, /plugin "nfs" not found/);
  assert.equal(await ok(fx, ['run', '--rm', '--volume-driver', 'local', fx.image, 'echo', 'ok']), 'ok');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test("docker's warnings for what this host cannot apply; resources checked at create; real-time scheduling and HostConfig's resource fields", async () => {
  const blkio = '/sys/fs/cgroup/blkio';
  const dev = readdirSync('/sys/block').map((n) => `/dev/${n}`).find((d) => existsSync(d)) ?? '/dev/vda';
  const r = await berth(fx, ['run', '--rm', '--blkio-weight', '300', '--blkio-weight-device', `${dev}:300`, '--kernel-memory', '10m', '--oom-kill-disable', fx.image, 'echo', 'ran']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ran');
  // Each: applied where the host has it, else dropped with docker's words (this host has no
  // CFQ/BFQ weights; kmem accounting is v1's).
  if (!existsSync(`${blkio}/blkio.weight`) && !existsSync(`${blkio}/blkio.bfq.weight`)) {
    assert.match(r.stderr, /^WARNING: Your kernel does not support Block I\/O weight or the cgroup is not mounted\. Weight discarded\.$/m);
    assert.match(r.stderr, /^WARNING: Your kernel does not support Block I\/O weight_device or the cgroup is not mounted\. Weight-device discarded\.$/m);
  }
  if (existsSync('/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes')) assert.match(r.stderr, /^WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future release\.$/m);
  else assert.match(r.stderr, /^WARNING: Your kernel does not support kernel memory limit capabilities/m);
  assert.match(r.stderr, /^WARNING: OOM killer is disabled for the container, but no memory limit is set/m);
  // Checked at create, as docker's daemon does (its create exits 1), or as its CLI parses the
  // flag (125): nothing is made.
  for (const [flags, message, code] of [
    [['--memory', '1m'], /minimum allowed memory limit is 6MB/, 1],
    [['--memory-reservation', '1m'], /minimum memory reservation allowed is 6MB/, 1],
    [['--kernel-memory', '1m'], /minimum kernel memory limit allowed is 6MB/, 1],
    [['--blkio-weight-device', `${dev}:5`], /invalid weight for device/, 125],
    [['--blkio-weight-device', 'bad'], /bad format/, 125],
    [['--cpu-rt-period', '1000', '--cpu-rt-runtime', '5000'], /cpu real-time runtime cannot be higher than cpu real-time period/, 1],
  ] as const) {
    const c = await berth(fx, ['create', ...flags, fx.image, 'true']);
    assert.equal(c.code, code, flags.join(' '));
    assert.match(c.stderr, message);
  }
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  const id = await ok(fx, ['create', '--cpu-rt-period', '50000', '--kernel-memory', '10m', '-m', '64m', '--device-read-bps', `${dev}:1mb`, fx.image, 'true']);
  const hc = JSON.parse(await ok(fx, ['inspect', '-f', '{{json .HostConfig}}', id])) as Record<string, unknown>;
  await ok(fx, ['rm', id]);
  assert.equal(hc.CpuRealtimePeriod, 50000);
  assert.equal(hc.CpuRealtimeRuntime, 0);
  assert.deepEqual(hc.BlkioDeviceReadBps, [{ Path: dev, Rate: 1048576 }]);
  assert.deepEqual(hc.BlkioWeightDevice, []);
  assert.equal(hc.Memory, 64 << 20);
  if (existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')) assert.equal(hc.MemorySwap, 128 << 20);
  if (!existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')) return;
  // Real-time group scheduling (v1): the period lands; a runtime needs a budget in the parent
  // cgroup, which the default parent has not (docker's daemon gives one with --cpu-rt-runtime).
  assert.equal(await ok(fx, ['run', '--rm', '--cpu-rt-period', '50000', fx.image, 'cat', '/sys/fs/cgroup/cpu/cpu.rt_period_us']), '50000');
  const refused = await berth(fx, ['run', '--rm', '--cpu-rt-runtime', '10000', fx.image, 'true']);
  assert.equal(refused.code, 125);
  assert.match(refused.stderr, /cpu\.rt_runtime_us: invalid argument/);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  const parent = `berth-e2e-rt-${process.pid}`;
  await fs.mkdir(`/sys/fs/cgroup/cpu/${parent}`);
  try {
    await fs.writeFile(`/sys/fs/cgroup/cpu/${parent}/cpu.rt_runtime_us`, '20000');
    const out = await ok(fx, ['run', '--rm', '--cgroup-parent', parent, '--cpu-rt-runtime', '10000', fx.image, 'cat', '/sys/fs/cgroup/cpu/cpu.rt_runtime_us']);
    assert.equal(out, '10000');
  } finally {
    for (const c of readdirSync('/sys/fs/cgroup')) await fs.rmdir(`/sys/fs/cgroup/${c}/${parent}`).catch(() => {});
  }
});

test('a WORKDIR that climbs out of the root stays inside the rootfs', async () => {
  const marker = `berth-escape-${process.pid}`;
  await makeImage(fx, 'hostile/workdir:1', { Cmd: ['pwd'], WorkingDir: `/../../../../../../tmp/${marker}` });
  const out = await ok(fx, ['run', '--rm', 'hostile/workdir:1']);
  assert.equal(out, `/tmp/${marker}`);
  await assert.rejects(fs.access(`/tmp/${marker}`), 'nothing was created on the host');
  // A symlinked WORKDIR inside the image resolves within the rootfs too.
  const id = await ok(fx, ['create', '-w', '/etc/../../../tmp', fx.image, 'pwd']);
  assert.equal((await berth(fx, ['start', '-a', id])).stdout.trim(), '/tmp');
  await ok(fx, ['rm', id]);
});

test('mount destinations must be absolute and not the root; a missing -v host dir is made, a missing --mount source refused', async () => {
  // dockerd 20.10's words; berth said 'invalid -v destination "/": cannot mount over the container's root'.
  const relDest = await berth(fx, ['run', '--rm', '-v', `${fx.dir}:relative`, fx.image, 'true']);
  assert.deepEqual([relDest.code, relDest.stderr], [125, `Error: invalid volume specification: '${fx.dir}:relative': invalid mount config for type "bind": invalid mount path: 'relative' mount path must be absolute\n`]);
  const rootDest = await berth(fx, ['create', '-v', `${fx.dir}:/`, fx.image, 'true']);
  assert.deepEqual([rootDest.code, rootDest.stderr], [1, `Error: invalid volume specification: '${fx.dir}:/': invalid mount config for type "bind": invalid specification: destination can't be '/'\n`]);
  // A source starting with "." is a host path from the working directory (docker CLI 23+).
  await fs.mkdir(path.join(fx.dir, 'rel-src'));
  await fs.writeFile(path.join(fx.dir, 'rel-src', 'f'), 'relative\n');
  const rel = await berth(fx, ['run', '--rm', '-v', './rel-src:/r:ro', fx.image, 'cat', '/r/f'], { cwd: fx.dir });
  assert.deepEqual([rel.code, rel.stdout], [0, 'relative\n'], rel.stderr);
  // docker's -v makes a missing host dir at the start (root's, 0755); --mount's must exist.
  const made = path.join(fx.dir, 'made-by-v', 'sub');
  assert.equal(await ok(fx, ['run', '--rm', '-v', `${made}:/x`, fx.image, 'sh', '-c', 'echo in > /x/f && cat /x/f']), 'in');
  const st = await fs.stat(made);
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o755);
  assert.equal(await fs.readFile(path.join(made, 'f'), 'utf8'), 'in\n');
  // dockerd 20.10's words.
  assert.match((await berth(fx, ['run', '--rm', '--mount', `type=bind,source=${fx.dir}/no-such-dir,target=/x`, fx.image, 'true'])).stderr, /invalid mount config for type "bind": bind source path does not exist: \/.*\/no-such-dir$/m);
  // dockerd's 'invalid mount config for type "bind": field Source must not be empty' (create
  // exits 1) and docker's CLI's flag errors (125); berth had its own words, took unknown fields,
  // readonly=maybe and tmpfs-size=1x (which the kernel then refused).
  const noSource = await berth(fx, ['create', '--mount', 'type=bind,target=/x', fx.image, 'true']);
  assert.deepEqual([noSource.code, noSource.stderr], [1, 'Error: invalid mount config for type "bind": field Source must not be empty\n']);
  for (const [m, why] of [
    ['type=tmpfs,dst=/t,tmpfs-size=1x', 'invalid value for tmpfs-size: 1x'],
    ['dst=/m,foo=1', "unexpected key 'foo' in 'foo=1'"],
    [`type=bind,src=${fx.dir},dst=/m,readonly=maybe`, 'invalid value for readonly: maybe'],
  ]) {
    const r = await berth(fx, ['create', '--mount', m, fx.image, 'true']);
    assert.equal(r.code, 125, m);
    assert.ok(r.stderr.startsWith(`invalid argument "${m}" for "--mount" flag: ${why}\n\nUsage:  berth create [OPTIONS]`), r.stderr);
  }
  assert.match(await ok(fx, ['run', '--rm', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1mb', fx.image, 'grep', ' /t ', '/proc/mounts']), /size=1024k/);
  // --tmpfs: dockerd refuses a relative path at create ('invalid mount path: 'rel' mount path must
  // be absolute', exit 1) and an option it does not know at the start ('invalid tmpfs option
  // ["foo"]', run 125; its create takes it); berth refused both at create in its own words, or
  // handed 'foo=bar' to the kernel.
  const relTmpfs = await berth(fx, ['create', '--tmpfs', 'rel', fx.image, 'true']);
  assert.deepEqual([relTmpfs.code, relTmpfs.stderr], [1, "Error: invalid mount path: 'rel' mount path must be absolute\n"]);
  const badOption = await berth(fx, ['run', '--rm', '--tmpfs', '/t:foo=bar', fx.image, 'true']);
  assert.deepEqual([badOption.code, badOption.stderr], [125, 'Error: invalid tmpfs option ["foo" "bar"]\n']);
  const later = await ok(fx, ['create', '--tmpfs', '/t:foo', fx.image, 'true']);
  const started = await berth(fx, ['start', later]);
  assert.equal(started.code, 1);
  assert.match(started.stderr, /invalid tmpfs option \["foo"\]/);
  await ok(fx, ['rm', later]);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});

test('--userns: container root is a host id of the mapping and owns its id-shifted rootfs; diff and commit refuse it; export and cp translate owners; rm leaves nothing', async () => {
  const script = ['echo map=$(cat /proc/self/uid_map)', 'echo uid=$(id -u)', 'echo owner=$(stat -c %u:%g /bin/busybox /etc | tr "\\n" " ")', 'touch /etc/made && echo wrote=yes', 'echo init=$(stat -c %u:%g /.dockerenv /etc/mtab | tr "\\n" " ")', 'cat /hello'].join('; ');
  // The mapped root must reach the graph root: mkdtemp made the fixture's dir 0700.
  const r0 = await berth(fx, ['run', '--rm', '--userns', '100000:65536', fx.image, 'true']);
  assert.equal(r0.code, 125);
  assert.match(r0.stderr, /closed to other users/);
  await fs.chmod(fx.dir, 0o711);
  const out = await ok(fx, ['run', '--name', 'uns', '--userns', '100000:65536', fx.image, ...sh(script)]);
  assert.equal(field(out, 'map')?.replace(/\s+/g, ' ').trim(), '0 100000 65536');
  assert.equal(field(out, 'uid'), '0');
  assert.equal(field(out, 'owner')?.trim(), '0:0 0:0');
  assert.equal(field(out, 'wrote'), 'yes');
  // docker's init entries belong to the container's root too.
  assert.equal(field(out, 'init')?.trim(), '0:0 0:0');
  assert.match(out, /hello from layer 2/);
  // On the host the container's files belong to the mapped ids.
  const id = await ok(fx, ['inspect', '-f', '{{.Id}}', 'uns']);
  const made = await fs.stat(path.join(fx.root, 'snapshots', id, 'upper', 'etc', 'made'));
  assert.equal(`${made.uid}:${made.gid}`, '100000:100000');
  for (const verb of [['diff', 'uns'], ['commit', 'uns', 'test/uns:1']]) {
    const r = await berth(fx, verb);
    assert.notEqual(r.code, 0, verb.join(' '));
    assert.match(r.stderr, /user namespace/);
  }
  // What leaves the container shows the owners it sees; what goes in is shifted into the mapping.
  const tarList = async (tar: string) => (await execFileP('tar', ['--numeric-owner', '-tvf', tar])).stdout;
  const exported = path.join(fx.dir, 'uns-export.tar');
  await ok(fx, ['export', '-o', exported, 'uns']);
  assert.match(await tarList(exported), /^-\S+ 0\/0 .* etc\/made$/m);
  assert.doesNotMatch(await tarList(exported), / 100000\/100000 /);
  const single = path.join(fx.dir, 'uns-made.tar');
  await fs.writeFile(single, await ok(fx, ['cp', 'uns:/etc/made', '-']), 'latin1');
  assert.match(await tarList(single), /^-\S+ 0\/0 .* made$/m);
  await fs.writeFile(path.join(fx.dir, 'in.txt'), 'in\n');
  await ok(fx, ['cp', path.join(fx.dir, 'in.txt'), 'uns:/etc/']);
  const copied = await fs.stat(path.join(fx.root, 'snapshots', id, 'upper', 'etc', 'in.txt'));
  assert.equal(`${copied.uid}:${copied.gid}`, '100000:100000');
  const owned = path.join(fx.dir, 'owned.tar');
  await execFileP('tar', ['-C', fx.dir, '--owner=5', '--group=7', '--numeric-owner', '-cf', owned, 'in.txt']);
  await ok(fx, ['cp', '-', 'uns:/tmp'], { input: await fs.readFile(owned, 'latin1') });
  const unpacked = await fs.stat(path.join(fx.root, 'snapshots', id, 'upper', 'tmp', 'in.txt'));
  assert.equal(`${unpacked.uid}:${unpacked.gid}`, '100005:100007');
  // An owner the namespace cannot name is refused, not written as a host id.
  await execFileP('tar', ['-C', fx.dir, '--owner=70000', '--group=0', '--numeric-owner', '-cf', owned, 'in.txt']);
  const far = await berth(fx, ['cp', '-', 'uns:/'], { input: await fs.readFile(owned, 'latin1') });
  assert.equal(far.code, 1);
  assert.match(far.stderr, /owner 70000 is outside the 65536 ids/);
  await assert.rejects(fs.stat(path.join(fx.root, 'snapshots', id, 'upper', 'in.txt')));
  await ok(fx, ['rm', 'uns']);
  // A volume it makes is its root's (docker's remapped root owns its volumes): written from
  // inside, owned by the mapped id on the host; one that existed keeps its owner.
  const vol = await ok(fx, ['run', '--rm', '--userns', '100000:65536', '-v', 'uns-vol:/data', fx.image, 'sh', '-c', 'touch /data/x && stat -c %u:%g /data/x']);
  assert.equal(vol, '0:0');
  const data = await fs.stat(path.join(fx.root, 'volumes', 'uns-vol', '_data', 'x'));
  assert.equal(`${data.uid}:${data.gid}`, '100000:100000');
  await ok(fx, ['volume', 'create', 'host-vol']);
  const theirs = await berth(fx, ['run', '--rm', '--userns', '100000:65536', '-v', 'host-vol:/data', fx.image, 'touch', '/data/x']);
  assert.notEqual(theirs.code, 0, 'a volume made by the host stays the host root\'s');
  await ok(fx, ['volume', 'rm', 'uns-vol', 'host-vol']);
  assert.deepEqual(await mountsUnder(fx), []);
  assert.equal(await ok(fx, ['ps', '-aq']), '');
});
