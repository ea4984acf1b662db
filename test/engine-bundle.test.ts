// bin/berth as users start it: the bundled CLI (dist/cli/verbs/VERB.cjs, or dist/cli/berth.cjs
// when no verb is named) through launch.cjs and its code cache. The other engine tests run the module tree; these check that the bundle behaves
// the same on the container paths, including conmon's exit command, which re-runs the bundle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { projectRoot } from '../src/internal/paths.js';
import { cleanupFixture, type EngineFixture, makeEngineFixture, mountsUnder } from './engine-fixture.js';

const BIN = path.join(projectRoot(), 'bin', 'berth');

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(BIN, ['--root', fx.root, '--runroot', fx.runroot, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('bin/berth runs the bundle: run --rm gives the exit code and output, with and without a code cache', () => {
  const bundle = path.join(projectRoot(), 'dist', 'cli', 'verbs', 'run.cjs');
  const built = statSync(bundle).mtimeMs;
  for (let i = 0; i < 2; i++) {
    const r = cli(['run', '--rm', fx.image, 'sh', '-c', 'echo "$IMAGE_VAR"; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'from-image\n');
  }
  // (A build in between, on a shared checkout, starts the caches afresh.)
  if (statSync(bundle).mtimeMs === built) {
    const caches = readdirSync(path.join(projectRoot(), 'dist', 'cli', 'cache'));
    assert.ok(caches.some((f) => new RegExp(`^run-\\d+-${Math.floor(built)}\\.bin$`).test(f)), `a code cache for run: ${caches.join(' ')}`);
  }
  assert.equal(cli(['run', '--rm', fx.image, 'nosuchcmd']).code, 127);
  assert.equal(cli(['ps', '-aq']).stdout, '');
});

test('bin/berth without a verb of its own runs the whole CLI: help, a typo, the global version flag', () => {
  const help = cli(['--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const verb of ['run', 'ps', 'registry', 'container']) assert.match(help.stdout, new RegExp(`^  ${verb}$`, 'm'));
  const typo = cli(['rnu']);
  assert.equal(typo.code, 125);
  assert.match(typo.stderr, /'rnu' is not a berth command/);
  // Not a verb even though every object has it.
  assert.match(cli(['constructor']).stderr, /'constructor' is not a berth command/);
  assert.match(cli(['-v']).stdout, /^berth version \d+\.\d+\.\d+\n$/);
  // Typos share one code cache instead of leaving a file each.
  const caches = readdirSync(path.join(projectRoot(), 'dist', 'cli', 'cache'));
  assert.ok(!caches.some((f) => f.startsWith('rnu-') || f.startsWith('constructor-')), caches.join(' '));
});

test('bin/berth run -d, then rm -f; run -d --rm is removed by the exit command (the bundle again)', async () => {
  const d = cli(['run', '-d', fx.image, 'sleep', '1000']);
  assert.equal(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  assert.match(cli(['ps', '--no-trunc', '-q']).stdout, new RegExp(id));
  assert.equal(cli(['rm', '-f', id]).code, 0);
  assert.equal(cli(['ps', '-aq']).stdout, '');
  assert.deepEqual(await mountsUnder(fx), []);

  const gone = cli(['run', '-d', '--rm', fx.image, 'true']);
  assert.equal(gone.code, 0, gone.stderr);
  // Only conmon's exit command (`berth container cleanup`) removes it: no other berth command runs meanwhile.
  const deadline = Date.now() + 20_000;
  while (readdirSync(path.join(fx.root, 'containers')).length > 0 && Date.now() < deadline) await sleep(100);
  assert.deepEqual(readdirSync(path.join(fx.root, 'containers')), []);
  assert.deepEqual(await mountsUnder(fx), []);
});

test('bin/berth is the launcher: Node never sees NODE_EXTRA_CA_CERTS, berth gets it as BERTH_EXTRA_CA_CERTS', () => {
  // Node warns at start-up about a CA file it cannot load; through the launcher it never tries.
  const missing = path.join(fx.root, 'no-such-ca.pem');
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: missing };
  delete env.BERTH_EXTRA_CA_CERTS;
  const r = spawnSync(BIN, ['version'], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Client:\n Version: /);
  assert.doesNotMatch(r.stderr, /extra certs/i);
  // The same node, started directly, does warn: the check above means something.
  const direct = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env });
  assert.match(direct.stderr, /extra certs/i);
  // What berth's own TLS code reads instead.
  writeFileSync(
    path.join(fx.root, 'print-env.cjs'),
    "process.stderr.write(`BERTH_EXTRA_CA_CERTS=${process.env.BERTH_EXTRA_CA_CERTS}\\nNODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS ?? 'unset'}\\n`);\n",
  );
  const seen = spawnSync(BIN, ['--help'], { encoding: 'utf8', env: { ...env, NODE_OPTIONS: `--require=${path.join(fx.root, 'print-env.cjs')}` } });
  assert.equal(seen.status, 0, seen.stderr);
  assert.match(seen.stderr, new RegExp(`BERTH_EXTRA_CA_CERTS=${missing}\\b`));
  assert.match(seen.stderr, /NODE_EXTRA_CA_CERTS=unset/);
});

test("bin/berth: berth's own --env-file is no concern of Node's, which would look for it too", () => {
  // Node 20 looks through a script's arguments for its own --env-file and exits 9 ("node:
  // FILE: not found") when the file is missing; the launcher ends Node's options before berth's.
  const missing = cli(['run', '--rm', '--env-file', path.join(fx.root, 'no-such.env'), fx.image, 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Error: open \/.*\/no-such\.env: no such file or directory\n/);
  const file = path.join(fx.root, 'vars.env');
  writeFileSync(file, 'FROM_FILE=yes\n');
  assert.equal(cli(['run', '--rm', '--env-file', file, fx.image, 'sh', '-c', 'echo $FROM_FILE']).stdout, 'yes\n');
});
