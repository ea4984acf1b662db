// `berth info`: the storage driver and its backing file system, the roots, the runtime and
// the versions, as docker info shows them; `--format json` for scripts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openGraphDriver } from '../graphdriver/index.js';
import { projectRoot } from '../internal/paths.js';
import { detectCgroups } from '../runtime/cgroups.js';
import { lookupBinary } from '../runtime/detect.js';
import { openStore } from '../store/index.js';
import { containerHost } from './container-common.js';
import { type FlagSpec, parseVerb, type VerbSpec } from './flags.js';
import { renderTemplate } from './format.js';
import { refuseUnparsed } from './inspect-template.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth info [OPTIONS]',
  summary: 'Display system-wide information',
  flags: [
    { name: 'format', short: 'f', type: 'string', value: 'FORMAT', description: 'json, or a {{.Field}} template' } satisfies FlagSpec,
    { name: 'storage-driver', type: 'string', value: 'NAME', description: 'overlay or vfs (default: overlay when the kernel can)' },
  ],
  maxArgs: 0,
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const format = flags.string('format');
  const refused = refuseUnparsed(ctx, format);
  if (refused !== undefined) return refused;
  const info = await gather(ctx, flags.string('storage-driver'));
  if (format === 'json') {
    ctx.out(`${JSON.stringify(info)}\n`);
  } else if (format !== undefined) {
    ctx.out(`${renderTemplate(format, info)}\n`);
  } else {
    ctx.out(human(info));
  }
  return 0;
}

/** docker info's field names where they exist, so scripts written for docker keep working. */
export interface Info {
  /** The host's name. */
  Name: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  ServerVersion: string;
  NodeVersion: string;
  Driver: string;
  DriverStatus: [string, string][];
  DockerRootDir: string;
  RunRoot: string;
  Images: number;
  Layers: number;
  DefaultRuntime: string;
  Runtimes: Record<string, { path: string; version?: string }>;
  KernelVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  /** berth drives cgroupfs itself (no systemd manager). */
  CgroupDriver: 'cgroupfs';
  /** "1" on a v1 or hybrid host (the v1 controllers are what runc drives there), "2" on v2. */
  CgroupVersion: '1' | '2';
  /** conmon's log format for every container. */
  LoggingDriver: 'k8s-file';
  /** docker's "name=seccomp,profile=default" words: what every container gets unless told. */
  SecurityOptions: string[];
  Warnings: string[];
}

async function gather(ctx: CliContext, driverName: string | undefined): Promise<Info> {
  const store = await openStore({ root: ctx.root, runroot: ctx.runroot });
  const driver = await openGraphDriver({ root: ctx.root, runroot: ctx.runroot, driver: driverName });
  const d = await driver.info();
  const status: [string, string][] = [['Backing Filesystem', d.backingFilesystem]];
  if (d.fallbackReason) status.push(['Overlay Unavailable', d.fallbackReason]);
  const runtimes: Info['Runtimes'] = {};
  const found = ['runc', 'crun'].map((name) => ({ name, bin: lookupBinary(name) }));
  const versions = await Promise.all(found.map((f) => (f.bin ? runtimeVersion(f.bin) : undefined)));
  found.forEach((f, i) => {
    if (f.bin) runtimes[f.name] = { path: f.bin, version: versions[i] };
  });
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  // The containers as last recorded (info does not ask the runtime about each, as ps does).
  const records = await containerHost(ctx).records.list();
  const count = (...statuses: string[]) => records.filter((r) => statuses.includes(r.state.status)).length;
  const cgroups = detectCgroups();
  return {
    Name: os.hostname(),
    Containers: records.length,
    ContainersRunning: count('running', 'restarting'),
    ContainersPaused: count('paused'),
    ContainersStopped: records.length - count('running', 'restarting', 'paused'),
    ServerVersion: pkg.version,
    NodeVersion: process.version,
    Driver: d.driver,
    DriverStatus: status,
    DockerRootDir: d.root,
    RunRoot: d.runroot,
    Images: (await store.listImages()).length,
    Layers: (await store.layers.list()).length,
    DefaultRuntime: runtimes.runc ? 'runc' : (Object.keys(runtimes)[0] ?? ''),
    Runtimes: runtimes,
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSType: process.platform,
    Architecture: os.machine(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroups.mode === 'v2' ? '2' : '1',
    LoggingDriver: 'k8s-file',
    SecurityOptions: ['name=seccomp,profile=default', ...(cgroups.mode === 'v2' ? ['name=cgroupns'] : [])],
    Warnings: [],
  };
}

/** First line of `<runtime> --version`, e.g. "runc version 1.1.5" -> "1.1.5". */
function runtimeVersion(bin: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const p = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    p.on('error', () => resolve(undefined));
    p.on('close', () => resolve(/version\s+(\S+)/.exec(out)?.[1]));
  });
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

function human(i: Info): string {
  const rt = Object.entries(i.Runtimes)
    .map(([n, r]) => `${n} (${r.path}${r.version ? `, ${r.version}` : ''})`)
    .join(', ');
  return [
    'Client:',
    ` Version:        ${i.ServerVersion}`,
    ` Node Version:   ${i.NodeVersion}`,
    '',
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Layers: ${i.Layers}`,
    ` Storage Driver: ${i.Driver}`,
    ...i.DriverStatus.map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ` Graph Root: ${i.DockerRootDir}`,
    ` Run Root: ${i.RunRoot}`,
    ` Runtimes: ${rt || 'none found'}`,
    ` Default Runtime: ${i.DefaultRuntime || 'none'}`,
    ' Security Options:',
    ...i.SecurityOptions.map((o) => `  ${o.replace(/^name=/, '').replace(/,/g, '\n   ').replace(/=/g, ': ')}`),
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${(i.MemTotal / 2 ** 30).toFixed(2)}GiB`,
    ` Name: ${i.Name}`,
    '',
  ].join('\n');
}
