// berth login [SERVER]: check credentials with the registry and store them in auth.json.
import { createInterface } from 'node:readline';
import { login } from '../engine/images/index.js';
import { invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';

import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth login [OPTIONS] [SERVER]',
  summary: 'Log in to a registry',
  maxArgs: 1,
  flags: [
    { name: 'username', short: 'u', type: 'string', value: 'USER', description: 'Username' },
    { name: 'password', short: 'p', type: 'string', value: 'PASS', description: 'Password' },
    { name: 'password-stdin', type: 'bool', description: 'Read the password from stdin' },
    { name: 'authfile', type: 'string', value: 'FILE', description: 'Path of the authentication file' },
    { name: 'tls-verify', type: 'bool', description: 'Require HTTPS and verify certificates' },
  ],
};

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  let username = flags.string('username');
  let password = flags.string('password');
  if (password !== undefined && !flags.bool('password-stdin')) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (flags.bool('password-stdin')) {
    if (password !== undefined) throw invalidArgument('berth login: --password and --password-stdin are mutually exclusive');
    if (!username) throw invalidArgument('berth login: --password-stdin needs --username');
    password = await readStdin();
  }
  if (!username) username = await prompt('Username: ');
  if (password === undefined) password = await prompt('Password: ');
  if (!username || !password) throw invalidArgument('berth login: a username and a password are required');
  const { result } = await login(flags.args[0], { username, password }, {
    ...(flags.string('authfile') ? { authFile: flags.string('authfile') } : {}),
    ...(flags.has('tls-verify') ? { tlsVerify: flags.bool('tls-verify') } : {}),
  });
  ctx.out(result.scheme === 'none' ? 'Login Succeeded (the registry needs no authentication)\n' : 'Login Succeeded!\n');
  return 0;
}
