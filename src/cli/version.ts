// `berth version`: the client's and the engine's versions, in docker's shape (Client and
// Server; a daemonless engine is its own server), so `--format '{{.Server.Version}}'` works.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostPlatform } from '../image/platform.js';
import { projectRoot } from '../internal/paths.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { checkTemplate, renderTemplate } from './format.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth version [OPTIONS]',
  summary: 'Show the berth version information',
  maxArgs: 0,
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'FORMAT', description: 'json, or a Go template ({{.Client.Version}}, {{.Server.Version}})' }],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const format = flags.string('format');
  if (format !== undefined && format !== 'json') checkTemplate(format);
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  // Node's process.arch in docker's (Go's) words, as image platforms name it.
  const arch = hostPlatform().architecture;
  const version = {
    Client: { Version: pkg.version, NodeVersion: process.version, Os: process.platform, Arch: arch },
    Server: { Version: pkg.version, NodeVersion: process.version, Os: process.platform, Arch: arch, KernelVersion: os.release() },
  };
  if (format === 'json') ctx.out(`${JSON.stringify(version)}\n`);
  else if (format !== undefined) ctx.out(`${renderTemplate(format, version)}\n`);
  else {
    const osArch = `${process.platform}/${arch}`;
    ctx.out(
      [
        'Client:',
        ` Version:           ${pkg.version}`,
        ` Node version:      ${process.version}`,
        ` OS/Arch:           ${osArch}`,
        '',
        'Server:',
        ' Engine (daemonless, in the client):',
        `  Version:          ${pkg.version}`,
        `  OS/Arch:          ${osArch}`,
        `  Kernel Version:   ${os.release()}`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}
