import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTAINER_INSPECT, IMAGE_INSPECT, VOLUME_INSPECT } from './docker-types.js';
import { formatGoDuration } from '../internal/go-duration.js';
import { goTimeText, type GoType, withGoType } from './go-types.js';
import { executeTemplate, parseTemplate } from './template.js';

// A container as dockerd 20.10 gave it (trimmed); the expected values are what docker's CLI 28
// printed for it.
const container = () => ({
  Id: '37c76448990b66758db9e571b3979e7823c258c9f7bdfc482c6948e7bfaa5cf4',
  Created: '2026-12-05T00:35:35.2Z',
  Path: 'sleep',
  Args: ['3600'],
  State: {
    Status: 'running',
    Running: true,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 19008,
    ExitCode: 0,
    Error: '',
    StartedAt: '2026-12-05T00:35:35.481635694Z',
    FinishedAt: '0001-01-01T00:00:00Z',
  },
  Name: '/gt-a',
  ExecIDs: null,
  HostConfig: {
    Binds: ['/tmp/me/vsrc:/data:ro'],
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: 'none',
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    CpuShares: 512,
    Dns: [],
    ConsoleSize: [0, 0],
    OomKillDisable: false,
  },
  GraphDriver: { Data: { MergedDir: '/m' }, Name: 'overlay2' },
  Mounts: [{ Type: 'bind', Source: '/tmp/me/vsrc', Destination: '/data', Mode: 'ro', RW: false, Propagation: 'rprivate' }],
  Config: { Hostname: '37c76448990b', Env: null, Cmd: ['sleep', '3600'], Image: 'bench/busybox', Volumes: null, Entrypoint: null, OnBuild: null, Labels: { a: 'b' } },
  NetworkSettings: {
    Bridge: '',
    SandboxID: 'sb',
    SandboxKey: '/netns/sb',
    Ports: {},
    Networks: { none: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: 'n1', EndpointID: 'e1', Gateway: '', IPAddress: '', IPPrefixLen: 0 } },
  },
});

const run = (src: string, doc: unknown, type: GoType = CONTAINER_INSPECT) => executeTemplate(parseTemplate(src), withGoType(doc, type));

test("structs print as Go's {v1 v2}, in the declared order, zero values included", () => {
  const c = container();
  assert.equal(run('{{.Mounts}}', c), '[{bind  /tmp/me/vsrc /data  ro false rprivate}]');
  assert.equal(run('{{.State}}', c), '{running true false false false false 19008 0  2026-12-05T00:35:35.481635694Z 0001-01-01T00:00:00Z <nil>}');
  assert.equal(run('{{.HostConfig.RestartPolicy}}', c), '{on-failure 3}');
  assert.equal(run('{{.HostConfig.LogConfig}}', c), '{json-file map[]}');
  assert.equal(run('{{.GraphDriver}}', c), '{map[MergedDir:/m] overlay2}');
  // Embedded structs print nested in their place; a pointer inside a printed value as &{...}.
  assert.equal(run('{{.NetworkSettings}}', c), '{{ sb /netns/sb map[] false  0 [] []} {   0  0  } map[none:&{<nil> [] []  map[] 0 n1 e1   0   0 []}]}');
  assert.match(run('{{.}}', c), /^\{&\{37c76448990b\S+ 2026-12-05T00:35:35.2Z sleep \[3600\] &\{running true /);
  assert.equal(run('{{printf "%v" .State.Status}} {{print .HostConfig.RestartPolicy}}', c), 'running {on-failure 3}');
  assert.equal(run('{{printf "%v" .HostConfig}}', { HostConfig: { RestartPolicy: { Name: 'no' } } }).slice(0, 20), '&{[]  { map[]}  map[');
});

test('nil slices, maps and pointers, and fields the JSON lacks, are their zero values', () => {
  const c = container();
  assert.equal(run('{{.Config.Entrypoint}} {{.Config.Volumes}}', c), '[] map[]');
  assert.equal(run('{{.State.Health}}', c), '<nil>');
  assert.equal(run('{{.Config.Labels}}', c), 'map[a:b]');
  assert.equal(run('[{{.Config.User}}] {{.Config.Tty}} {{.HostConfig.ShmSize}} {{.SizeRw}} {{.HostConfig.Init}} {{.ExecIDs}}', c), '[] false 0 <nil> <nil> []');
  assert.equal(run('{{.HostConfig.ConsoleSize}} {{.HostConfig.PortBindings}} {{.HostConfig.OomKillDisable}}', c), '[0 0] map[] false');
  // A missing key of a map: nothing (<no value>), but index gives the element type's zero value.
  assert.equal(run('{{.Config.Labels.x}}|{{index .Config.Labels "x"}}|{{index .Config.Labels "a"}}', c), '<no value>||b');
  // Go's truth, len and range over them.
  assert.equal(run('{{if .State.Health}}h{{else}}no health{{end}} {{len .Config.Entrypoint}} {{range .Config.Volumes}}v{{else}}none{{end}}', c), 'no health 0 none');
  assert.equal(run('{{if .HostConfig.RestartPolicy}}struct is true{{end}}', c), 'struct is true');
});

test('templates use Go field names; a field the struct lacks is Go error', () => {
  const c = container();
  assert.equal(run('{{.ID}} {{.HostConfig.CPUShares}} {{.HostConfig.DNS}}', c), `${c.Id} 512 []`);
  assert.throws(() => run('{{.Config.Bogus}}', c), {
    message: 'template: :1:9: executing "" at <.Config.Bogus>: can\'t evaluate field Bogus in type *container.Config',
  });
  assert.throws(() => run('{{.Id}}', c), { message: 'template: :1:2: executing "" at <.Id>: can\'t evaluate field Id in type container.InspectResponse' });
  assert.throws(() => run('{{.State.Health.Status}}', c), { message: /at <.State.Health.Status>: nil pointer evaluating \*container.Health.Status$/ });
  assert.throws(() => run('{{len .HostConfig.RestartPolicy}}', c), { message: /error calling len: len of type container.RestartPolicy$/ });
  assert.throws(() => run('{{index .Config.ExposedPorts "80/tcp"}}', c), { message: /value has type string; should be nat.Port$/ });
  assert.equal(run('{{printf "%T %T %T" . .State .Config.ExposedPorts}}', c), 'container.InspectResponse *container.State nat.PortSet');
});

test('range, index and with give typed elements; a pointer at the top prints what it points to', () => {
  const c = container();
  assert.equal(run('{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.NetworkID}} {{$v}}{{end}}', c), 'none=n1 {<nil> [] []  map[] 0 n1 e1   0   0 []}');
  assert.equal(run('{{with .State}}{{.Pid}}{{end}} {{range .Mounts}}{{.RW}} {{.Name}}|{{end}}', c), '19008 false |');
  assert.equal(run('{{printf "%v" .State.Health}} {{printf "%s" .HostConfig.RestartPolicy}}', c), '<nil> {on-failure %!s(int=3)}');
});

test("{{json}} prints the document's JSON as before", () => {
  const c = container();
  const plain = (src: string) => executeTemplate(parseTemplate(src), container());
  for (const t of ['{{json .}}', '{{json .Config}}', '{{json .State}}', '{{json .Config.Entrypoint}}', '{{json .State.Health}}', '{{json .Mounts}}']) {
    assert.equal(run(t, c), plain(t), t);
  }
  assert.equal(JSON.stringify(withGoType(container(), CONTAINER_INSPECT)), JSON.stringify(container()));
  // A frozen part (a shared constant) is typed as a copy.
  const frozen = { ...container(), Args: Object.freeze(['a', 'b']) };
  assert.equal(run('{{.Args}} {{printf "%T" .Args}}', frozen), '[a b] []string');
});

test("berth's extra fields are there for templates and print after docker's when present", () => {
  const c = container();
  Object.assign(c.State, { MonitorPid: 77 });
  assert.equal(run('{{.State.MonitorPid}}', c), '77');
  assert.match(run('{{.State}}', c), /<nil> 77\}$/);
  assert.equal(run('{{.OCIRuntime}}', container()), '');
});

test('images and volumes: times, durations, the OCI config docker 28 decodes into', () => {
  const image = {
    Id: 'sha256:60d9',
    RepoTags: ['bench/busybox:latest'],
    RepoDigests: [],
    Created: '2026-12-04T13:32:01.501Z',
    Config: { Env: ['PATH=/bin'], Cmd: ['sh'], Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2_000_000_000 } },
    RootFS: { Type: 'layers', Layers: ['sha256:21a8'] },
    Metadata: { LastTagTime: '2026-12-05T00:38:29.130262232Z' },
  };
  assert.equal(run('{{.RootFS}}', image, IMAGE_INSPECT), '{layers [sha256:21a8]}');
  assert.equal(run('{{.Metadata}}', image, IMAGE_INSPECT), '{2026-12-05 00:38:29.130262232 +0000 UTC}');
  assert.equal(run('{{.Config.Healthcheck}}', image, IMAGE_INSPECT), '{[CMD-SHELL true] 2s 0s 0s 0s 0}');
  assert.equal(run('{{.Config}}', image, IMAGE_INSPECT), '{{ map[] [PATH=/bin] [] [sh] map[]  map[]  false} {&{[CMD-SHELL true] 2s 0s 0s 0s 0} [] []}}');
  assert.equal(run('{{.ContainerConfig}} {{.Descriptor}}', image, IMAGE_INSPECT), '<nil> <nil>');
  assert.throws(() => run('{{.Config.Hostname}}', image, IMAGE_INSPECT), { message: /can't evaluate field Hostname in type \*v1.DockerOCIImageConfig$/ });
  const volume = { CreatedAt: '2026-12-05T00:39:21Z', Driver: 'local', Labels: null, Mountpoint: '/v/_data', Name: 'gt-v', Options: null, Scope: 'local' };
  assert.equal(run('{{.}}', volume, VOLUME_INSPECT), '{<nil> 2026-12-05T00:39:21Z local map[] /v/_data gt-v map[] local map[] <nil>}');
});

test("Go's Time and Duration strings", () => {
  assert.equal(goTimeText('0001-01-01T00:00:00Z'), '0001-01-01 00:00:00 +0000 UTC');
  assert.equal(goTimeText('2026-12-04T22:31:23.490Z'), '2026-12-04 22:31:23.49 +0000 UTC');
  assert.equal(goTimeText('2026-12-04T22:31:23+01:00'), '2026-12-04 22:31:23 +0100 +0100');
  const d = (ns: number) => formatGoDuration(ns);
  assert.deepEqual(
    [d(0), d(7), d(1500), d(2_500_000), d(2e9), d(1.5e9), d(90e9), d(3600e9), d(3723.5e9), d(-2e9)],
    ['0s', '7ns', '1.5µs', '2.5ms', '2s', '1.5s', '1m30s', '1h0m0s', '1h2m3.5s', '-2s'],
  );
});
