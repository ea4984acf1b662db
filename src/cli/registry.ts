// `berth registry serve|gc`: the registry server and its garbage collector. Thin: flags
// and config in, the library does the work, results out.
import * as path from 'node:path';
import { invalidArgument } from '../internal/errors.js';
import { type RegistryConfig, configFromObject, defaultConfig, loadConfig } from '../registry/server/config.js';
import { collectGarbage } from '../registry/server/gc.js';
import { RegistryServer } from '../registry/server/server.js';
import { FilesystemDriver } from '../registry/driver/filesystem.js';
import { parseFlags, parseVerb, type VerbSpec } from './flags.js';
import type { CliContext } from './main.js';

const SERVE: VerbSpec = {
  usage: 'berth registry serve [OPTIONS]',
  summary: 'Serve an OCI distribution-spec registry (YAML config for everything, flags for the common things).',
  flags: [
    { name: 'config', type: 'string', value: 'FILE', description: 'YAML configuration file' },
    { name: 'listen', type: 'string', value: 'ADDR', description: 'address to listen on (default 127.0.0.1:5000)' },
    { name: 'root', type: 'string', value: 'DIR', description: 'storage root directory' },
    { name: 'access-log', type: 'string', value: 'WHERE', description: 'stdout, stderr, off or a file' },
  ],
  maxArgs: 0,
};

const GC: VerbSpec = {
  usage: 'berth registry gc [OPTIONS]',
  summary: 'Remove blobs no manifest references (mark and sweep).',
  flags: [
    { name: 'config', type: 'string', value: 'FILE', description: 'YAML configuration file (for root)' },
    { name: 'root', type: 'string', value: 'DIR', description: 'storage root directory' },
    { name: 'dry-run', short: 'd', type: 'bool', description: 'print what would be removed, remove nothing' },
    { name: 'delete-untagged', short: 'm', type: 'bool', description: 'also remove manifests no tag reaches' },
  ],
  maxArgs: 0,
};

const USAGE = `Usage: berth registry COMMAND

Commands:
  serve   Serve an OCI distribution-spec registry
  gc      Remove unreferenced blobs
`;

async function config(flags: ReturnType<typeof parseFlags>, ctx: CliContext): Promise<RegistryConfig> {
  const file = flags.string('config');
  const c = file ? await loadConfig(file) : configFromObject(null, { ...defaultConfig(), root: path.join(ctx.root, 'registry') });
  if (flags.string('root')) c.root = flags.string('root')!;
  if (flags.string('listen')) c.listen = flags.string('listen')!;
  if (flags.string('access-log')) c.accessLog = flags.string('access-log')!;
  return c;
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    ctx.out(USAGE);
    return sub === undefined ? 125 : 0;
  }
  if (sub === 'serve') return serve(rest, ctx);
  if (sub === 'gc') return gc(rest, ctx);
  throw invalidArgument(`'berth registry ${sub}' is not a command: want serve or gc`);
}

async function serve(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SERVE, argv, ctx);
  if (!flags) return 0;
  const server = new RegistryServer(await config(flags, ctx));
  const url = await server.start();
  ctx.err(`berth registry: listening on ${url}, storage in ${server.config.root}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ctx.err(`berth registry: ${signal}: finishing in-flight requests\n`);
      server.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function gc(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(GC, argv, ctx);
  if (!flags) return 0;
  const c = await config(flags, ctx);
  const report = await collectGarbage(new FilesystemDriver(c.root, { durable: c.durable }), {
    dryRun: flags.bool('dry-run'),
    deleteUntagged: flags.bool('delete-untagged'),
    uploadMaxAgeMs: c.uploadMaxAgeMs,
  });
  const verb = flags.bool('dry-run') ? 'would remove' : 'removed';
  for (const m of report.manifests) ctx.out(`${verb} manifest ${m.name}@${m.digest}\n`);
  for (const b of report.blobs) ctx.out(`${verb} blob ${b.digest} (${b.size} bytes)\n`);
  for (const u of report.uploads) ctx.out(`${verb} upload ${u}\n`);
  ctx.out(
    `${verb}: ${report.manifests.length} manifests, ${report.blobs.length} blobs, ${report.uploads.length} uploads; ${report.bytesFreed} bytes ${flags.bool('dry-run') ? 'would be ' : ''}freed (${report.blobsKept} blobs kept)\n`,
  );
  return 0;
}
