import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, createReadStream } from 'node:fs';
import * as net from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pipe } from '../internal/spawn.js';
import { fdWriter } from './cli.js';

async function readAll(fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream('', { fd })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('fdWriter writes strings and bytes in order, and never touches the stream', async () => {
  const [r, w] = pipe();
  const write = fdWriter(w, () => assert.fail('the stream is not needed'));
  write('abc\n');
  write(new TextEncoder().encode('déf\n'));
  closeSync(w);
  assert.equal((await readAll(r)).toString('utf8'), 'abc\ndéf\n');
});

test('fdWriter: a full non-blocking pipe (EAGAIN) hands the rest and every later write to the stream, in order', async () => {
  const [r, w] = pipe();
  // A socket over the write end makes it non-blocking, as Node's own stdout over a pipe may be.
  const sock = new net.Socket({ fd: w, readable: false, writable: true });
  let streamed = 0;
  const write = fdWriter(w, () => {
    streamed++;
    return sock;
  });
  const reading = readAll(r);
  const big = Buffer.alloc(256 * 1024, 'x'); // more than a pipe holds
  write(big);
  write('end\n');
  await new Promise<void>((resolve) => sock.end(resolve));
  const got = await reading;
  assert.ok(streamed >= 1);
  assert.equal(got.byteLength, big.byteLength + 4);
  assert.equal(got.subarray(big.byteLength).toString(), 'end\n');
});

test('fdWriter: a reader that went away (EPIPE) ends the process with 141, quietly', async () => {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const script = `import(${JSON.stringify(cli)}).then((m) => { const out = m.fdWriter(1, () => process.stdout); setTimeout(() => { for (;;) out('line\\n'); }, 50); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 141);
  assert.equal(stderr, '');
});

test("the global flags' errors in docker's words and usage block, exit 125", async () => {
  const { runCli } = await import('./cli.js');
  const run = async (argv: string[]) => {
    let err = '';
    const code = await runCli(argv, { ps: async () => ({ run: async () => 0 }) }, { out: () => {}, err: (t) => (err += String(t)) });
    return { code, err };
  };
  const block = "\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n";
  // docker 28: `docker --bogus ps`, `docker -Z ps`, `docker -H`.
  assert.deepEqual(await run(['--bogus', 'ps']), { code: 125, err: `unknown flag: --bogus${block}` });
  assert.deepEqual(await run(['--bogus=1', 'ps']), { code: 125, err: `unknown flag: --bogus${block}` });
  assert.deepEqual(await run(['-Z', 'ps']), { code: 125, err: `unknown shorthand flag: 'Z' in -Z${block}` });
  assert.deepEqual(await run(['--root']), { code: 125, err: `flag needs an argument: --root${block}` });
  assert.equal((await run(['--root', '/tmp/x', 'ps'])).code, 0);
  assert.equal((await run(['--runroot=/tmp/y', 'ps'])).code, 0);
});
