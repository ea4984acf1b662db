import assert from 'node:assert/strict';
import { closeSync, constants as fsc, lstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { releaseStrandedHandoff, SpecHandoff, strandedHandoff } from './spec-handoff.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-handoff-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What a reader that opened the FIFO has in it now (non-blocking: nothing more is awaited). */
function drain(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

test('a runtime that opened config.json before the spec existed reads the whole spec from the FIFO', () => {
  const file = path.join(dir, 'early.json');
  const h = SpecHandoff.open(file);
  assert.ok(lstatSync(file).isFIFO());
  // The engine holds the FIFO open: the runtime's open returns at once.
  const reader = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const spec = JSON.stringify({ ociVersion: '1.0.2', process: { args: ['true'] } });
  h.write(spec);
  assert.equal(drain(reader), spec);
  // config.json is now the regular file, with the same spec, for every later reader.
  assert.ok(lstatSync(file).isFile());
  assert.equal(readFileSync(file, 'utf8'), spec);
  closeSync(reader);
  h.close();
  h.close();
  assert.equal(readFileSync(file, 'utf8'), spec, 'closing leaves the written spec');
});

test('a runtime that opens config.json after the write reads the regular file', () => {
  const file = path.join(dir, 'late.json');
  const h = SpecHandoff.open(file);
  h.write('{"a":1}');
  assert.equal(readFileSync(file, 'utf8'), '{"a":1}');
  h.close();
});

test('a spec larger than a pipe holds by default goes into the FIFO whole, without waiting', () => {
  const file = path.join(dir, 'big.json');
  const h = SpecHandoff.open(file);
  const reader = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const spec = JSON.stringify({ env: Array.from({ length: 300 }, (_, i) => `V${i}=${'x'.repeat(1000)}`) });
  assert.ok(spec.length > 65536 * 4);
  h.write(spec);
  assert.equal(drain(reader), spec);
  closeSync(reader);
  h.close();
});

test('an aborted start: the runtime reads an empty object (it fails at once), and the FIFO goes', () => {
  const file = path.join(dir, 'aborted.json');
  const h = SpecHandoff.open(file);
  const reader = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  h.abort();
  assert.equal(drain(reader), '{}\n');
  h.close();
  closeSync(reader);
  assert.throws(() => lstatSync(file), /ENOENT/, 'no FIFO is left for a later reader to wait on');
});

test('open replaces a config.json left by an earlier start', () => {
  const file = path.join(dir, 'again.json');
  const first = SpecHandoff.open(file);
  first.write('{"run":1}');
  first.close();
  const second = SpecHandoff.open(file);
  assert.ok(lstatSync(file).isFIFO());
  second.write('{"run":2}');
  second.close();
  assert.equal(readFileSync(file, 'utf8'), '{"run":2}');
});

/** A process, standing for the CLI, that opened a handoff on `file` and holds it until killed. */
async function handoffHolder(file: string): Promise<ChildProcess> {
  const script = `
    const { SpecHandoff } = await import(${JSON.stringify(new URL('./spec-handoff.js', import.meta.url).href)});
    SpecHandoff.open(${JSON.stringify(file)});
    process.stdout.write('open\\n');
    setInterval(() => {}, 1000);
  `;
  const cli = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(cli.stdout as NodeJS.ReadableStream, 'data');
  return cli;
}

test('a CLI killed before the spec was written: the runtime waiting on the FIFO reads an end of file and ends', async () => {
  const file = path.join(dir, 'killed.json');
  // A CLI that opened the handoff, spawned its "runtime" (cat reading config.json) and then died.
  const cli = await handoffHolder(file);
  const runtime = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(runtime.exitCode, null, 'the runtime waits while the CLI holds the FIFO');
  cli.kill('SIGKILL');
  const [code] = await once(runtime, 'exit');
  assert.equal(code, 0, 'an end of file, not a hang');
});

test('a runtime that opened the FIFO after its CLI was killed waits for a writer; the next command releases it', async () => {
  const file = path.join(dir, 'stranded.json');
  const cli = await handoffHolder(file);
  cli.kill('SIGKILL');
  await once(cli, 'exit');
  assert.equal(strandedHandoff(file), true);
  // The runtime gets to config.json only now: no writer, its open(2) waits.
  const runtime = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(runtime.exitCode, null, 'stuck in open');
  await releaseStrandedHandoff(file);
  const [code] = await once(runtime, 'exit');
  assert.equal(code, 0, 'released with an end of file');
  assert.equal(strandedHandoff(file), false);
  assert.throws(() => lstatSync(file), /ENOENT/);
});

test('a handoff that wrote its spec but was not closed: the release keeps config.json, drops the FIFO\'s second name', async () => {
  const file = path.join(dir, 'written.json');
  const h = SpecHandoff.open(file);
  h.write('{"ok":true}');
  assert.equal(strandedHandoff(file), true, 'not closed yet: its FIFO is still reachable');
  await releaseStrandedHandoff(file);
  assert.equal(readFileSync(file, 'utf8'), '{"ok":true}');
  assert.equal(strandedHandoff(file), false);
  h.close();
});
