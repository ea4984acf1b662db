import assert from 'node:assert/strict';
import { test } from 'node:test';
import { helpText, isBareError, isPlainCliError, isUsageError, type VerbSpec, parseFlags, parseVerb } from './flags.js';

const run: VerbSpec = {
  usage: 'berth run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Run a command in a new container',
  stopAtFirstPositional: true,
  minArgs: 1,
  flags: [
    { name: 'detach', short: 'd', type: 'bool' },
    { name: 'interactive', short: 'i', type: 'bool' },
    { name: 'tty', short: 't', type: 'bool' },
    { name: 'name', type: 'string' },
    { name: 'env', short: 'e', type: 'list' },
  ],
};

test('combined shorts, repeated lists, = and separate values', () => {
  const f = parseFlags(run, ['-it', '--name=web', '-e', 'A=1', '-eB=2', '--env', 'C=3', 'busybox', 'sh', '-c', 'echo -d']);
  assert.equal(f.bool('interactive'), true);
  assert.equal(f.bool('tty'), true);
  assert.equal(f.bool('detach'), false);
  assert.equal(f.string('name'), 'web');
  assert.deepEqual(f.list('env'), ['A=1', 'B=2', 'C=3']);
  assert.deepEqual(f.args, ['busybox', 'sh', '-c', 'echo -d']);
});

test("a bool's value after '=', long or short, in Go's spellings (docker history -H=false)", () => {
  const f = parseFlags(run, ['-d=false', '-t=T', '--interactive=False', 'busybox']);
  assert.equal(f.bool('detach'), false);
  assert.equal(f.bool('tty'), true);
  assert.equal(f.bool('interactive'), false);
  assert.deepEqual(f.args, ['busybox']);
  assert.equal(parseFlags(run, ['-id=0', 'busybox']).bool('detach'), false);
  assert.throws(() => parseFlags(run, ['-d=maybe', 'busybox']), /invalid argument "maybe" for "-d, --detach" flag: strconv\.ParseBool: parsing "maybe": invalid syntax\n\nUsage: {2}/);
});

test('bad flags give clear errors', () => {
  assert.throws(() => parseFlags(run, ['--nope', 'x']), /unknown flag: --nope/);
  assert.throws(() => parseFlags(run, ['-z', 'x']), /unknown shorthand flag: 'z' in -z/);
  // pflag names the shorthands from the bad one on (docker: `run -dZ` is "'Z' in -Z").
  assert.throws(() => parseFlags(run, ['-dz', 'x']), /unknown shorthand flag: 'z' in -z\n/);
  // docker's words and usage block, printed as they are (no "Error: "), exit 125.
  assert.throws(
    () => parseFlags(run, ['--nope', 'x']),
    (err: Error) =>
      err.message === `unknown flag: --nope\n\nUsage:  ${run.usage}\n\nRun 'berth run --help' for more information` && isBareError(err) && isUsageError(err),
  );
  assert.deepEqual(parseFlags(run, ['x', '--name']).args, ['x', '--name']);
  assert.throws(() => parseFlags(run, ['--name']), /flag needs an argument: --name/);
  assert.throws(() => parseFlags(run, []), /requires at least 1 argument/);
  // Argument counts in docker's words, told apart from flag errors (docker exits 1, not 125).
  const count = (spec: Partial<VerbSpec>, args: string[]) => {
    try {
      parseFlags({ ...run, ...spec }, args);
    } catch (err) {
      assert.ok(isPlainCliError(err));
      return (err as Error).message.split('\n')[0];
    }
    return 'no error';
  };
  // docker CLI 28.2.2: "docker: 'docker tag' requires 2 arguments", "... accepts no arguments",
  // "... requires at least 1 and at most 2 arguments", "... requires at most 1 argument".
  assert.equal(count({ usage: 'berth rename CONTAINER NEW_NAME', minArgs: 2, maxArgs: 2 }, ['a']), "berth: 'berth rename' requires 2 arguments");
  assert.equal(count({ usage: 'berth container prune [OPTIONS]', minArgs: 0, maxArgs: 0 }, ['a']), "berth: 'berth container prune' accepts no arguments");
  assert.equal(count({ usage: 'berth port CONTAINER [PORT]', minArgs: 1, maxArgs: 2 }, []), "berth: 'berth port' requires at least 1 and at most 2 arguments");
  assert.equal(count({ usage: 'berth events [OPTIONS]', minArgs: undefined, maxArgs: 1 }, ['a', 'b']), "berth: 'berth events' requires at most 1 argument");
  // The whole of it, printed with no "Error: ", and "See" where docker's says it.
  try {
    parseFlags({ usage: 'berth rmi [OPTIONS] IMAGE [IMAGE...]', summary: '', flags: [], minArgs: 1 }, []);
    assert.fail('no error');
  } catch (err) {
    assert.ok(isBareError(err));
    assert.equal((err as Error).message, "berth: 'berth rmi' requires at least 1 argument\n\nUsage:  berth rmi [OPTIONS] IMAGE [IMAGE...]\n\nSee 'berth rmi --help' for more information");
  }
  let flagError: unknown;
  try {
    parseFlags(run, ['--nope', 'x']);
  } catch (err) {
    flagError = err;
  }
  assert.equal(isPlainCliError(flagError), false);
  assert.throws(() => parseFlags(run, ['--detach=maybe', 'x']), /invalid argument "maybe"/);
});

test('-- ends flags', () => {
  const f = parseFlags({ ...run, stopAtFirstPositional: false }, ['-d', '--', '-x', 'y']);
  assert.deepEqual(f.args, ['-x', 'y']);
});

test('parseVerb writes help and returns undefined for -h; otherwise the flags', () => {
  let out = '';
  const ctx = { out: (s: string) => void (out += s) };
  assert.equal(parseVerb(run, ['-h'], ctx), undefined);
  assert.match(out, /^Usage: berth run \[OPTIONS\] IMAGE/);
  out = '';
  assert.deepEqual(parseVerb(run, ['-d', 'busybox'], ctx)?.args, ['busybox']);
  assert.equal(out, '');
});

test("a verb's own -h wins over help's (docker run's -h is --hostname); --help still helps", () => {
  const spec: VerbSpec = { usage: 'berth run', summary: 'Run', flags: [{ name: 'hostname', short: 'h', type: 'string', value: 'NAME' }] };
  assert.equal(parseFlags(spec, ['-h', 'box', 'img']).string('hostname'), 'box');
  assert.equal(parseFlags(spec, ['-h', 'box', 'img']).help, false);
  assert.equal(parseFlags(spec, ['--help']).help, true);
  assert.match(helpText(spec), /^ {2}-h, --hostname NAME/m);
  assert.match(helpText(spec), /^ {6}--help/m);
});

test("'int' flags take whole numbers only, checked while parsing", () => {
  const spec: VerbSpec = { usage: 'berth stop', summary: '', flags: [{ name: 'time', short: 't', type: 'int' }] };
  assert.equal(parseFlags(spec, ['-t', '5']).int('time'), 5);
  assert.equal(parseFlags(spec, ['--time=-1']).int('time'), -1);
  assert.equal(parseFlags(spec, []).int('time'), undefined);
  for (const bad of ['abc', '1.5', '', '10s']) {
    assert.throws(() => parseFlags(spec, [`--time=${bad}`]), { message: `invalid argument "${bad}" for "-t, --time" flag: strconv.ParseInt: parsing "${bad}": invalid syntax\n\nUsage:  berth stop\n\nRun 'berth stop --help' for more information` });
  }
  // docker: `restart -t 99999999999999999999` is ParseInt's "value out of range".
  assert.throws(() => parseFlags(spec, ['--time=99999999999999999999']), /strconv\.ParseInt: parsing "99999999999999999999": value out of range\n/);
  assert.throws(() => parseFlags(spec, ['-tx']), /invalid argument "x" for "-t, --time" flag/);
});
