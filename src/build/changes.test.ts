import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerConfig } from '../image/index.js';
import { parseChanges } from './changes.js';

function edited(changes: string[], config: ContainerConfig = {}): ContainerConfig {
  parseChanges(changes)(config);
  return config;
}

// Each expectation below is what docker 20.10's commit made of the same --change values.
test('--change: the config instructions, expanded against the config\'s own Env', () => {
  const c = edited(['ENV A=$FOO:x B=${FOO:-d}', 'WORKDIR /a', 'WORKDIR b', 'USER $FOO', 'CMD echo $FOO', 'LABEL "x y"=z k=v', 'EXPOSE 80 90/udp', 'VOLUME /v1 /v2'], { Env: ['FOO=bar'] });
  assert.deepEqual(c.Env, ['FOO=bar', 'A=bar:x', 'B=bar']);
  assert.equal(c.WorkingDir, '/a/b');
  assert.equal(c.User, 'bar');
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo $FOO']);
  assert.deepEqual(c.Labels, { 'x y': 'z', k: 'v' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '90/udp': {} });
  assert.deepEqual(c.Volumes, { '/v1': {}, '/v2': {} });
  // Within one ENV the values see the Env before it; quotes and escapes as a Dockerfile's.
  assert.deepEqual(edited(['ENV A=1 B=$A', 'ENV C="a b" D=c\\ d', 'ENV X 1 2']).Env, ['A=1', 'B=', 'C=a b', 'D=c d', 'X=1 2']);
});

test('--change: ONBUILD appends, HEALTHCHECK, ENTRYPOINT clears a Cmd no CMD set', () => {
  const c = edited(['ONBUILD RUN b', 'HEALTHCHECK --interval=5s CMD true', 'ENTRYPOINT ["/e"]'], { Cmd: ['true'], OnBuild: ['RUN a'] });
  assert.deepEqual(c.OnBuild, ['RUN a', 'RUN b']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
  assert.deepEqual(c.Entrypoint, ['/e']);
  assert.equal(c.Cmd, null);
  const d = edited(['CMD echo 1', 'ENTRYPOINT ["/e"]']);
  assert.deepEqual(d.Cmd, ['/bin/sh', '-c', 'echo 1']);
  assert.deepEqual(edited(['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  // Changes are joined as lines of one Dockerfile: a change may hold several.
  assert.deepEqual(edited(['ENV A=1\nLABEL l=1']), { Env: ['A=1'], Labels: { l: '1' } });
});

test('--change: what is not a config change, or has no argument, fails before any edit', () => {
  assert.throws(() => parseChanges(['RUN rm -rf /']), { message: 'run is not a valid change command' });
  assert.throws(() => parseChanges(['Foo bar']), { message: 'foo is not a valid change command' });
  for (const kw of ['SHELL ["/bin/bash", "-c"]', 'MAINTAINER me', 'FROM x', 'COPY a b', 'ARG A', 'bogus']) {
    assert.throws(() => parseChanges(['ENV A=1', kw]), /is not a valid change command/, kw);
  }
  assert.throws(() => parseChanges(['ENV']), /invalid --change "ENV": ENV: requires at least one argument/);
  assert.throws(() => parseChanges(['USER']), /USER/);
  assert.throws(() => parseChanges(['ONBUILD FROM x']), /FROM is not allowed as an ONBUILD trigger/);
  assert.throws(() => parseChanges(['']), /no instruction/);
  assert.throws(() => edited(['EXPOSE 99999']), /invalid --change "EXPOSE 99999": EXPOSE: invalid port range/);
  assert.deepEqual(edited([]), {});
});
