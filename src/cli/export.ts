// berth export: the container's filesystem as a tar archive (-o FILE or stdout).
import { createWriteStream, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exportContainer } from '../engine/files.js';
import { BerthError, failedPrecondition, invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { pipeToStdout } from './stdout.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth export [OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  minArgs: 1,
  maxArgs: 1,
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'FILE', description: 'Write to a file, instead of STDOUT' }],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const out = flags.string('output');
  if (!out && (ctx.stdout as NodeJS.WriteStream).isTTY) throw failedPrecondition('cowardly refusing to write a tar archive to a terminal: use -o or redirect');
  // docker's check before anything is read: the output file's directory must be there.
  if (out && !statSync(path.dirname(path.resolve(out)), { throwIfNoEntry: false })?.isDirectory()) {
    throw invalidArgument(`failed to export container: invalid output path: ${path.dirname(out)}: no such directory`);
  }
  let writing = false;
  try {
    await exportContainer(containerHost(ctx), flags.args[0], (tar) => {
      writing = true;
      return out ? pipeline(tar, createWriteStream(out)) : pipeToStdout(tar, ctx.stdout);
    });
  } catch (err) {
    // A half-written -o file is not left behind (one the export never opened is not touched).
    if (out && writing) rmSync(out, { force: true });
    throw err instanceof BerthError ? err : BerthError.wrap(err, `failed to export container ${flags.args[0]}`);
  }
  return 0;
}
