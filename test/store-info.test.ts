// `berth info` over a real store and graph driver: the human form and --format json/template.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { main } from '../src/cli/main.js';

async function berth(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => void (out += typeof t === 'string' ? t : Buffer.from(t).toString()),
    err: (t) => void (err += typeof t === 'string' ? t : Buffer.from(t).toString()),
  });
  return { code, out, err };
}

test('berth info shows the driver, backing file system, roots, runtime and versions', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-info-'));
  try {
    const root = path.join(dir, 'root');
    const runroot = path.join(dir, 'run');
    const json = await berth(['--root', root, '--runroot', runroot, 'info', '--format', 'json']);
    assert.equal(json.code, 0, json.err);
    const info = JSON.parse(json.out);
    assert.equal(info.Driver, 'overlay');
    assert.equal(info.DockerRootDir, root);
    assert.equal(info.RunRoot, runroot);
    assert.deepEqual(info.DriverStatus[0], ['Backing Filesystem', 'extfs']);
    assert.equal(info.Images, 0);
    assert.match(info.Runtimes.runc.version, /^1\./);
    assert.equal(info.DefaultRuntime, 'runc');
    assert.equal(info.NodeVersion, process.version);
    // docker info's other fields scripts read (dockerd 20.10 on this host gave the same values
    // for the cgroup ones: cgroupfs, 1 on its hybrid layout).
    assert.deepEqual([info.Containers, info.ContainersRunning, info.ContainersPaused, info.ContainersStopped], [0, 0, 0, 0]);
    assert.equal(info.CgroupDriver, 'cgroupfs');
    assert.match(info.CgroupVersion, /^[12]$/);
    assert.deepEqual(info.SecurityOptions.slice(0, 1), ['name=seccomp,profile=default']);
    assert.equal(info.Name, os.hostname());
    // Go templates as the other verbs take them, and docker's error for a broken one.
    const tpl = await berth(['--root', root, '--runroot', runroot, 'info', '--format', '{{.CgroupDriver}} {{json .Warnings}} {{upper .OSType}}']);
    assert.equal(tpl.out, 'cgroupfs [] LINUX\n');
    const broken = await berth(['--root', root, '--runroot', runroot, 'info', '--format', '{{.Driver']);
    assert.equal(broken.code, 64);
    assert.equal(broken.err, 'template parsing error: template: :1: unclosed action\n');
    // version in docker's shape: a daemonless engine is its own server.
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    assert.equal((await berth(['version', '--format', '{{.Client.Version}} {{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}'])).out, `${info.ServerVersion} ${info.ServerVersion} linux/${arch}\n`);
    assert.equal(JSON.parse((await berth(['version', '--format', 'json'])).out).Server.KernelVersion, os.release());

    const human = await berth(['--root', root, '--runroot', runroot, 'info']);
    assert.match(human.out, /Storage Driver: overlay\n {2}Backing Filesystem: extfs\n/);
    assert.match(human.out, /\n Containers: 0\n {2}Running: 0\n {2}Paused: 0\n {2}Stopped: 0\n/);
    assert.match(human.out, /\n Cgroup Driver: cgroupfs\n Cgroup Version: [12]\n/);
    assert.match(human.out, new RegExp(`Graph Root: ${root}\n`));
    assert.match(human.out, /Runtimes: runc \(\/\S+runc, 1\./);

    // docker's other names for verbs: system info, system events, image build.
    assert.equal((await berth(['--root', root, '--runroot', runroot, 'system', 'info', '--format', '{{.DockerRootDir}}'])).out, `${root}\n`);
    const events = await berth(['--root', root, '--runroot', runroot, 'system', 'events', '--since', '1s', '--until', '1s']);
    assert.equal(events.code, 0, events.err);
    assert.match((await berth(['image', 'build', '--help'])).out, /^Usage: berth build /);
    const vfs = await berth(['--root', root, '--runroot', runroot, 'info', '--storage-driver', 'vfs', '--format', '{{.Driver}} {{.RunRoot}}']);
    assert.equal(vfs.out, `vfs ${runroot}\n`);
    const bad = await berth(['--root', root, '--runroot', runroot, 'info', '--storage-driver', 'zfs']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown storage driver "zfs"/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
