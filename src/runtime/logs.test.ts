import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { followLogs, parseK8sLine, readLogs } from './logs.js';

test('k8s-file lines, partial lines joined per stream, tail/since filters', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
  try {
    const file = path.join(dir, 'ctr.log');
    await fs.writeFile(
      file,
      [
        '2024-01-01T00:00:00.000000001+00:00 stdout P hel',
        '2024-01-01T00:00:01.000000000+00:00 stderr F oops',
        '2024-01-01T00:00:02.000000000+00:00 stdout F lo',
        'garbage',
        '2024-01-01T00:00:03.000000000+00:00 stdout F ',
        '2024-01-01T00:00:04.000000000+00:00 stdout P tail',
        '',
      ].join('\n'),
    );
    const all = await readLogs(file);
    assert.deepEqual(
      all.map((e) => [e.stream, e.text]),
      [
        ['stderr', 'oops\n'],
        ['stdout', 'hello\n'],
        ['stdout', '\n'],
        ['stdout', 'tail'],
      ],
    );
    assert.equal((await readLogs(file, { tail: 1 }))[0].text, 'tail');
    assert.equal((await readLogs(file, { since: new Date('2024-01-01T00:00:02.5Z') })).length, 2);
    assert.deepEqual(await readLogs(path.join(dir, 'none.log')), []);
    assert.equal(parseK8sLine('x stdin F y'), undefined);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('followLogs: tail of what exists, then appended lines, ending when done() and drained', async () => {
  const { followLogs } = await import('./logs.js');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
  try {
    const file = path.join(dir, 'ctr.log');
    const line = (n: number, tag = 'F') => `2024-01-01T00:00:0${n}.000000000+00:00 stdout ${tag} l${n}\n`;
    await fs.writeFile(file, line(1) + line(2) + line(3));
    let finished = false;
    const seen: string[] = [];
    const writer = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      await fs.appendFile(file, line(4, 'P'));
      await new Promise((r) => setTimeout(r, 50));
      await fs.appendFile(file, line(5));
      finished = true;
    })();
    for await (const e of followLogs(file, { tail: 1, pollMs: 10, done: async () => finished })) seen.push(e.text);
    await writer;
    assert.deepEqual(seen, ['l3\n', 'l4l5\n']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('followLogs loses no line a writer appends while it reads, and joins a character split between reads', async () => {
  const { followLogs } = await import('./logs.js');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
  try {
    const file = path.join(dir, 'ctr.log');
    await fs.writeFile(file, '');
    let finished = false;
    const seen: string[] = [];
    const writer = (async () => {
      const fh = await fs.open(file, 'a');
      try {
        for (let i = 0; i < 400; i++) {
          // A line in two writes, the second splitting "é" (0xc3 0xa9) from its first byte.
          const bytes = Buffer.from(`2024-01-01T00:00:00.000000000+00:00 stdout F n${i} \u00e9\n`);
          const cut = bytes.length - 2;
          await fh.write(bytes.subarray(0, cut));
          if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
          await fh.write(bytes.subarray(cut));
        }
      } finally {
        await fh.close();
      }
      finished = true;
    })();
    for await (const e of followLogs(file, { pollMs: 1, done: async () => finished })) seen.push(e.text);
    await writer;
    assert.equal(seen.length, 400);
    for (const [i, t] of seen.entries()) assert.equal(t, `n${i} \u00e9\n`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("a terminal's carriage returns stay in their lines, in readLogs and followLogs alike", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
  try {
    const file = path.join(dir, 'ctr.log');
    // What conmon writes for `printf 'a\\n b\\rc\\n'` under -t: each line ends "\r" (docker's logs print it).
    await fs.writeFile(file, '2024-01-01T00:00:00.000000001+00:00 stdout F a\r\n2024-01-01T00:00:00.000000002+00:00 stdout F b\rc\r\n');
    const want = ['a\r\n', 'b\rc\r\n'];
    assert.deepEqual((await readLogs(file)).map((e) => e.text), want);
    const followed: string[] = [];
    for await (const e of followLogs(file, { done: async () => true })) followed.push(e.text);
    assert.deepEqual(followed, want);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("--tail takes the last lines first and --since/--until filter those, as docker's; a follow ends at a line later than --until", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
  try {
    const file = path.join(dir, 'ctr.log');
    const line = (n: number) => `2024-01-01T00:00:0${n}.000000000+00:00 stdout F l${n}\n`;
    await fs.writeFile(file, line(1) + line(2) + line(3));
    const texts = async (o: Parameters<typeof readLogs>[1]) => (await readLogs(file, o)).map((e) => e.text);
    // dockerd 20.10: logs --tail 1 --until (between the two lines) printed nothing; berth printed
    // the first line, filtering before it took the last one.
    assert.deepEqual(await texts({ tail: 1, until: new Date('2024-01-01T00:00:02.5Z') }), []);
    assert.deepEqual(await texts({ tail: 2, until: new Date('2024-01-01T00:00:02.5Z') }), ['l2\n']);
    assert.deepEqual(await texts({ tail: 2, since: new Date('2024-01-01T00:00:01.5Z') }), ['l2\n', 'l3\n']);
    assert.deepEqual(await texts({ until: new Date('2024-01-01T00:00:02Z') }), ['l1\n', 'l2\n']);
    // A follow ends at the first line after --until (docker's follow stops there), though the
    // writer goes on: done() never says so here.
    const followed = async (o: Parameters<typeof followLogs>[1]) => {
      const seen: string[] = [];
      for await (const e of followLogs(file, { pollMs: 10, done: async () => false, ...o })) seen.push(e.text);
      return seen;
    };
    assert.deepEqual(await followed({ until: new Date('2024-01-01T00:00:01.5Z') }), ['l1\n']);
    const later = followed({ until: new Date('2024-01-01T00:00:04.5Z'), since: new Date('2024-01-01T00:00:02Z') });
    await new Promise((r) => setTimeout(r, 50));
    await fs.appendFile(file, line(4) + line(5) + line(6));
    assert.deepEqual(await later, ['l2\n', 'l3\n', 'l4\n']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
