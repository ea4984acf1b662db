// berth export: the container's filesystem as a tar archive (-o FILE or stdout).
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { exportContainer } from '../engine/files.js';
import { BerthError, failedPrecondition } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { checkOutputFile, writeAtomically } from './output-file.js';
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
  if (!out && (ctx.stdout as NodeJS.WriteStream).isTTY) throw failedPrecondition('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const host = containerHost(ctx);
  const container = flags.args[0];
  try {
    if (!out) {
      await exportContainer(host, container, (tar) => pipeToStdout(tar, ctx.stdout));
      return 0;
    }
    // docker's checks before anything is read, in its words ("failed to export container:
    // cannot write to a directory"); the file takes its name only once the export is whole.
    try {
      checkOutputFile(out);
    } catch (err) {
      throw BerthError.wrap(err, 'failed to export container');
    }
    await writeAtomically(out, (temp) => exportContainer(host, container, (tar) => pipeline(tar, createWriteStream(temp))));
  } catch (err) {
    throw err instanceof BerthError ? err : BerthError.wrap(err, `failed to export container ${container}`);
  }
  return 0;
}
