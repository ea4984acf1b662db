// Containerfile parsing: directives, continuations, comments, heredocs, flags, exec and
// shell forms, name=value lists, stages, and errors that name the file and line.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Containerfile text, not templates
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Instruction, parseContainerfile } from './instructions.js';

const parse = (text: string) => parseContainerfile(text, 'Containerfile');
const first = (text: string): Instruction => parse(`FROM scratch\n${text}`).stages[0].instructions[0];

test('continuations join lines; comments and blank lines inside them are dropped', () => {
  const f = parse('FROM busybox\nRUN echo a \\\n# a comment\n\n    && echo b\nRUN x');
  const run = f.stages[0].instructions[0];
  assert.equal(run.kind, 'run');
  if (run.kind !== 'run' || run.command.exec) throw new Error('shell form expected');
  assert.equal(run.command.command, 'echo a     && echo b');
  assert.equal(run.line, 2);
  assert.equal(f.stages[0].instructions[1].line, 6);
});

test('the escape directive switches continuations to backtick', () => {
  const f = parse('# escape=`\nFROM scratch\nWORKDIR c:\\dir\nRUN a `\n  b');
  assert.equal(f.escapeChar, '`');
  const [wd, run] = f.stages[0].instructions;
  assert.equal(wd.kind === 'workdir' && wd.value, 'c:\\dir');
  assert.equal(run.kind === 'run' && !run.command.exec && run.command.command, 'a   b');
});

test('directives are read only at the very top', () => {
  const f = parse('# syntax=docker/dockerfile:1\n# escape=\\\n\n# escape=`\nFROM scratch');
  assert.deepEqual(f.directives, { syntax: 'docker/dockerfile:1', escape: '\\' });
  assert.equal(f.escapeChar, '\\');
});

test('an invalid escape directive is an error with the line', () => {
  assert.throws(() => parse('# escape=x\nFROM scratch'), /Containerfile:1: invalid escape token/);
});

test('exec and shell forms', () => {
  const cmd = first('CMD ["/bin/echo", "hi there"]');
  assert.deepEqual(cmd.kind === 'cmd' && cmd.command, { exec: true, args: ['/bin/echo', 'hi there'] });
  const shell = first('ENTRYPOINT exec top -b');
  assert.deepEqual(shell.kind === 'entrypoint' && shell.command, { exec: false, command: 'exec top -b' });
  // "[ -f x ]" is a shell test, not JSON (docker runs it with the shell too).
  const test1 = first('RUN [ -f /etc/passwd ]');
  assert.deepEqual(test1.kind === 'run' && test1.command, { exec: false, command: '[ -f /etc/passwd ]' });
});

test('a broken JSON array is an error naming file and line', () => {
  assert.throws(() => parse('FROM scratch\n\nCMD ["a", \'b\']'), /Containerfile:3: CMD: cannot parse JSON array/);
  assert.throws(() => parse('FROM scratch\nCMD ["a", 1]'), /Containerfile:2: CMD: JSON array must hold only strings/);
  assert.throws(() => parse('FROM scratch\nSHELL /bin/bash -c'), /Containerfile:2: SHELL: requires the arguments to be in JSON form/);
});

test('flags of COPY, ADD, FROM, RUN', () => {
  const c = first('COPY --from=build --chown=app:app --chmod=640 a b /dst/');
  assert.equal(c.kind, 'copy');
  if (c.kind !== 'copy') return;
  assert.equal(c.from, 'build');
  assert.equal(c.chown, 'app:app');
  assert.equal(c.chmod, '640');
  assert.deepEqual(c.words, ['a', 'b', '/dst/']);
  const a = first('ADD --checksum=sha256:abc https://example.com/x.tar /x');
  assert.equal(a.kind === 'add' && a.checksum, 'sha256:abc');
  const f = parse('FROM --platform=linux/arm64 busybox AS Build').stages[0];
  assert.equal(f.from.platform, 'linux/arm64');
  assert.equal(f.name, 'build');
  assert.throws(() => first('COPY --form=x a b'), /Containerfile:2: COPY: unknown flag: --form/);
  assert.throws(() => first('COPY --chown=a --chown=b x y'), /--chown given more than once/);
  assert.throws(() => first('COPY --exclude=*.md . /x'), /--parents and --exclude are not supported/);
});

test('COPY in JSON form keeps spaces in names', () => {
  const c = first('COPY ["a file", "/dest dir/"]');
  assert.deepEqual(c.kind === 'copy' && [c.words, c.json], [['a file', '/dest dir/'], true]);
});

test('ENV and LABEL: key=value lists with quotes, and the legacy one-pair form', () => {
  const e = first('ENV A=1 B="two words" C=x\\ y');
  assert.deepEqual(e.kind === 'env' && e.pairs, [
    { key: 'A', value: '1' },
    { key: 'B', value: '"two words"' },
    { key: 'C', value: 'x\\ y' },
  ]);
  const legacy = first('ENV MY_VAR my value here');
  assert.deepEqual(legacy.kind === 'env' && legacy.pairs, [{ key: 'MY_VAR', value: 'my value here' }]);
  const l = first('LABEL "com.example.vendor"="ACME" version=1.0');
  assert.deepEqual(l.kind === 'label' && l.pairs, [
    { key: '"com.example.vendor"', value: '"ACME"' },
    { key: 'version', value: '1.0' },
  ]);
  assert.throws(() => first('ENV ONLYKEY'), /Containerfile:2: ENV: ENV ONLYKEY needs a value/);
});

test('ARG before FROM is global; other instructions before FROM are errors', () => {
  const f = parse('ARG VERSION=1\nARG BASE\nFROM busybox:${VERSION}\nARG VERSION');
  assert.equal(f.globalArgs.length, 2);
  assert.deepEqual(f.globalArgs[0].args, [{ name: 'VERSION', value: '1' }]);
  assert.throws(() => parse('RUN x\nFROM scratch'), /Containerfile:1: RUN before the first FROM/);
  assert.throws(() => parse('# only a comment\n'), /no FROM instruction/);
});

test('heredocs: RUN and COPY bodies, quoted markers do not expand, <<- strips tabs', () => {
  const f = parse('FROM busybox\nRUN <<EOF\necho hi\necho $HOME\nEOF\nCOPY <<"CONF" <<-TAB /etc/\nk=$v\nCONF\n\t\tindented\n\tTAB\nRUN true');
  const [run, copy, last] = f.stages[0].instructions;
  assert.equal(run.kind === 'run' && run.heredocs[0].content, 'echo hi\necho $HOME\n');
  assert.equal(copy.kind, 'copy');
  if (copy.kind !== 'copy') return;
  assert.deepEqual(
    copy.heredocs.map((h) => [h.name, h.content, h.expand, h.chomp]),
    [
      ['CONF', 'k=$v\n', false, false],
      ['TAB', 'indented\n', true, true],
    ],
  );
  assert.equal(last.line, 11);
  assert.throws(() => parse('FROM busybox\nRUN <<EOF\necho'), /Containerfile:2: unterminated heredoc <<EOF/);
});

test('HEALTHCHECK, ONBUILD, EXPOSE, VOLUME, STOPSIGNAL', () => {
  const h = first('HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/');
  assert.equal(h.kind, 'healthcheck');
  if (h.kind === 'healthcheck') {
    assert.deepEqual(h.test, { exec: false, command: 'curl -f http://localhost/' });
    assert.equal(h.interval, '5s');
    assert.equal(h.retries, '3');
  }
  assert.equal((first('HEALTHCHECK NONE') as { test: unknown }).test, 'none');
  const o = first('ONBUILD COPY . /src');
  assert.equal(o.kind === 'onbuild' && o.inner.kind, 'copy');
  assert.throws(() => first('ONBUILD FROM x'), /FROM is not allowed as an ONBUILD trigger/);
  assert.deepEqual((first('EXPOSE 80/tcp 53/udp') as { words: string[] }).words, ['80/tcp', '53/udp']);
  const v = first('VOLUME ["/data", "/logs"]');
  assert.deepEqual(v.kind === 'volume' && [v.words, v.json], [['/data', '/logs'], true]);
  assert.equal((first('STOPSIGNAL SIGKILL') as { value: string }).value, 'SIGKILL');
});

test('unknown instructions and missing arguments name file and line', () => {
  assert.throws(() => parse('FROM scratch\nFROB x'), /Containerfile:2: unknown instruction: FROB/);
  assert.throws(() => parse('FROM scratch\nCOPY onlyone'), /Containerfile:2: COPY: requires at least two arguments/);
  assert.throws(() => parse('FROM a b'), /Containerfile:1: FROM: requires either one or three arguments/);
  assert.throws(() => parse('FROM a AS x\nFROM b AS X'), /Containerfile:2: duplicate stage name "x"/);
  assert.throws(() => parse('FROM scratch\nRUN --mount=type=cache,target=/x true'), /--mount and --security are not supported/);
});

test('keywords are case-insensitive and stages are numbered', () => {
  const f = parse('from busybox as one\nrun true\nFROM one\ncopy --from=0 /a /b');
  assert.equal(f.stages.length, 2);
  assert.equal(f.stages[1].from.image, 'one');
  assert.equal(f.stages[0].instructions[0].kind, 'run');
});
