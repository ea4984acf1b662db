// berth cp: files between a container and the host, either way (CONTAINER:PATH marks the
// container side); container paths never lead out of its rootfs through symlinks.
import { archiveFromContainer, copyFromContainer, copyToContainer, extractToContainer } from '../engine/files.js';
import { failedPrecondition, invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { pipeToStdout } from './stdout.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  summary: 'Copy files/folders between a container and the local filesystem',
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: "Archive mode: copies into a container belong to its --user" },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy (berth prints none)' },
  ],
};

function split(arg: string): { container?: string; path: string } {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const src = split(flags.args[0]);
  const dest = split(flags.args[1]);
  const host = containerHost(ctx);
  if (src.container && dest.container) throw invalidArgument('copying between containers is not supported');
  if (src.container) {
    if (dest.path === '-') {
      if ((ctx.stdout as NodeJS.WriteStream).isTTY) throw failedPrecondition('cowardly refusing to write a tar archive to a terminal: redirect the output');
      await archiveFromContainer(host, src.container, src.path, (tar) => pipeToStdout(tar, ctx.stdout), { followLink: flags.bool('follow-link') });
      return 0;
    }
    await copyFromContainer(host, src.container, src.path, dest.path, { followLink: flags.bool('follow-link') });
    return 0;
  }
  if (dest.container) {
    if (src.path === '-') {
      await extractToContainer(host, dest.container, process.stdin, dest.path);
      return 0;
    }
    await copyToContainer(host, dest.container, src.path, dest.path, { archive: flags.bool('archive') });
    return 0;
  }
  throw invalidArgument('must specify at least one container source (CONTAINER:PATH)');
}
