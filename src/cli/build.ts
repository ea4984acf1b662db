// berth build [OPTIONS] CONTEXT: parse flags, find the Containerfile and context (a
// directory, a tarball or a Containerfile on stdin), run the builder, print docker-like steps.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { BerthError, invalidArgument } from '../internal/errors.js';
import { build, type BuildReporter } from '../build/builder.js';
import { builderConfig, builderContainerfile } from '../build/s2i.js';
import { openGraphDriver } from '../graphdriver/index.js';
import { applyLayer } from '../layer/index.js';
import { findRuntime } from '../runtime/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth build [OPTIONS] CONTEXT  |  berth build --from-builder IMAGE SOURCE_DIR -t APP',
  summary: 'Build an image from a Containerfile',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'file', short: 'f', type: 'string', value: 'FILE', description: 'Containerfile (default CONTEXT/Containerfile or Dockerfile)' },
    { name: 'tag', short: 't', type: 'list', value: 'NAME', description: 'Name the image (repeatable)' },
    { name: 'build-arg', type: 'list', value: 'K=V', description: 'Set a build argument' },
    { name: 'target', type: 'string', value: 'STAGE', description: 'Build this stage' },
    { name: 'no-cache', type: 'bool', description: 'Do not use the build cache' },
    { name: 'pull', type: 'bool', description: 'Pull base images even when present' },
    { name: 'platform', type: 'string', value: 'OS/ARCH', description: 'Platform of the image' },
    { name: 'label', type: 'list', value: 'K=V', description: 'Add a label to the image' },
    { name: 'iidfile', type: 'string', value: 'FILE', description: 'Write the image ID to FILE' },
    { name: 'layers', type: 'bool', description: 'Cache intermediate layers (default true)' },
    { name: 'squash', type: 'bool', description: 'Squash the layers this build adds into one' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Print only the image ID' },
    { name: 'from-builder', type: 'string', value: 'IMAGE', description: 'Assemble CONTEXT (a source dir) with this builder image (source-to-image)' },
    { name: 'storage-driver', type: 'string', value: 'NAME', description: 'overlay or vfs' },
    { name: 'runtime', type: 'string', value: 'NAME', description: 'OCI runtime for RUN' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const quiet = flags.bool('quiet');
  const contextArg = flags.args[0];
  let temp: string | undefined;
  try {
    let contextDir: string;
    let containerfile: { text: string; name: string } | undefined;
    if (contextArg === '-') {
      const input = await readStdin();
      temp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-'));
      contextDir = temp;
      if (isTar(input)) await applyLayer(bufferStream(input), temp, { mode: 'merge' });
      else containerfile = { text: input.toString('utf8'), name: 'Containerfile (stdin)' };
    } else {
      contextDir = path.resolve(contextArg);
      if (!fs.statSync(contextDir, { throwIfNoEntry: false })?.isDirectory()) throw invalidArgument(`berth build: context ${contextArg} is not a directory`);
    }
    const store = await openImageStore(ctx);
    const builderImage = flags.string('from-builder');
    if (builderImage) {
      const config = await builderConfig(store, builderImage);
      containerfile = { text: builderContainerfile(builderImage, config, contextDir), name: `assemble with ${builderImage}` };
    }
    if (!containerfile) {
      const named = flags.string('file');
      const candidates = named ? [named === '-' ? '-' : path.resolve(named)] : ['Containerfile', 'Dockerfile'].map((n) => path.join(contextDir, n));
      if (candidates[0] === '-') containerfile = { text: (await readStdin()).toString('utf8'), name: 'Containerfile (stdin)' };
      else {
        const found = candidates.find((c) => fs.existsSync(c));
        if (!found) throw invalidArgument(`berth build: no Containerfile or Dockerfile in ${contextDir}`);
        containerfile = { text: fs.readFileSync(found, 'utf8'), name: path.relative(process.cwd(), found) || found };
      }
    }
    const buildArgs = new Map<string, string>();
    for (const a of flags.list('build-arg')) {
      const eq = a.indexOf('=');
      if (eq === -1) {
        if (process.env[a] !== undefined) buildArgs.set(a, process.env[a]!);
      } else buildArgs.set(a.slice(0, eq), a.slice(eq + 1));
    }
    const labels: Record<string, string> = {};
    for (const l of flags.list('label')) {
      const eq = l.indexOf('=');
      labels[eq === -1 ? l : l.slice(0, eq)] = eq === -1 ? '' : l.slice(eq + 1);
    }
    const driver = await openGraphDriver({
      root: ctx.root,
      runroot: ctx.runroot,
      driver: flags.string('storage-driver'),
      lowerPath: (c) => store.layers.diffPath(c),
    });
    const reporter = quiet ? quietReporter(ctx) : textReporter(ctx);
    const result = await build(
      {
        store,
        driver,
        root: ctx.root,
        runroot: ctx.runroot,
        runtime: async () => (await findRuntime({ runRoot: ctx.runroot, runtime: flags.string('runtime') })).runtime,
      },
      {
        contextDir,
        containerfile,
        tags: flags.list('tag'),
        buildArgs,
        target: flags.string('target'),
        noCache: flags.bool('no-cache') || (flags.has('layers') && !flags.bool('layers')),
        pull: flags.bool('pull'),
        platform: flags.string('platform'),
        labels,
        squash: flags.bool('squash'),
        reporter,
      },
    );
    const iid = flags.string('iidfile');
    if (iid) fs.writeFileSync(iid, result.id);
    if (quiet) ctx.out(`${result.id}\n`);
    else {
      ctx.out(`COMMIT ${result.record.names.join(' ')}\n`);
      for (const n of result.record.names.filter((x) => flags.list('tag').length > 0 && x)) ctx.out(`Successfully tagged ${n}\n`);
      ctx.out(`${result.id.slice(7)}\n`);
    }
    return 0;
  } catch (err) {
    const code = (err as BerthError).detail?.exitCode;
    if (err instanceof BerthError) {
      ctx.err(`Error: ${err.message}\n`);
      return typeof code === 'number' && code > 0 ? code : 125;
    }
    throw err;
  } finally {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  }
}

function textReporter(ctx: CliContext): BuildReporter {
  return {
    step: (n, total, text) => ctx.out(`STEP ${n}/${total}: ${text}\n`),
    cached: () => ctx.out('--> Using cache\n'),
    note: (text) => ctx.out(`--> ${text}\n`),
    stdout: ctx.stdout,
    stderr: ctx.stderr,
  };
}

function quietReporter(_ctx: CliContext): BuildReporter {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return { step: () => {}, cached: () => {}, note: () => {}, stdout: sink, stderr: sink };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function isTar(b: Buffer): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
  if (b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return true;
  return b.length >= 262 && b.subarray(257, 262).toString() === 'ustar';
}

function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
