import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignColumns, formatRows, goTimeString, humanSize, jsonLine, renderTemplate, rfc3339Seconds, shortId, timeAgo } from './format.js';

test('humanSize follows docker (decimal units, three significant digits)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(4_260), '4.26kB');
  assert.equal(humanSize(1_240_000), '1.24MB');
  assert.equal(humanSize(77_800_000), '77.8MB');
});

test('timeAgo says what docker says', () => {
  const now = Date.parse('2024-01-10T00:00:00Z');
  assert.equal(timeAgo('2024-01-09T23:59:30Z', now), '30 seconds ago');
  assert.equal(timeAgo('2024-01-09T23:59:00Z', now), 'About a minute ago');
  assert.equal(timeAgo('2024-01-09T21:00:00Z', now), '3 hours ago');
  assert.equal(timeAgo('2024-01-07T00:00:00Z', now), '3 days ago');
  assert.equal(timeAgo(undefined, now), 'N/A');
});

test('templates: fields, nested fields, json, functions, escapes', () => {
  const v = { Repository: 'busybox', Tag: 'latest', Config: { Cmd: ['sh'] }, Labels: { a: 'b' } };
  assert.equal(renderTemplate('{{.Repository}}:{{.Tag}}', v), 'busybox:latest');
  assert.equal(renderTemplate('{{json .Config.Cmd}}', v), '["sh"]');
  assert.equal(renderTemplate('{{json .}}', { a: 1 }), '{"a":1}');
  assert.equal(renderTemplate('{{index .Labels "a"}} {{upper .Tag}}', v), 'b LATEST');
  assert.equal(renderTemplate('{{.Repository}}\\t{{.Missing}}', v), 'busybox\t<no value>');
  assert.throws(() => renderTemplate('{{nosuch .X}}', v), /function "nosuch" not defined/);
  assert.throws(() => renderTemplate('{{.X', v), /unclosed action/);
  // Parsed before any row is rendered, as docker's CLI parses it: errors even with no rows.
  assert.throws(() => formatRows([], { columns: [], headers: {}, view: () => ({}) }, '{{'), /failed to parse template: template: :1: unclosed action/);
  assert.throws(() => formatRows([], { columns: [], headers: {}, view: () => ({}) }, '{{bogus .}}'), /function "bogus" not defined/);
  assert.equal(formatRows([], { columns: [], headers: {}, view: () => ({}) }, '{{json .}} {{"x"}} {{- .A -}}'), '');
});

test("a row's method takes the words after it (docker's {{.Label \"key\"}})", () => {
  const row = { Label: (k: string) => ({ env: 'prod' })[k] ?? '', Name: 'x' };
  assert.equal(renderTemplate('{{.Label "env"}}|{{.Label "nope"}}|{{.Name}}', row), 'prod||x');
});

test('tables align columns three spaces apart, each at least 10 wide (docker\'s tabwriter); "table" templates get headers', () => {
  assert.equal(alignColumns(['A\tBB', 'CCC\tD']), 'A         BB\nCCC       D\n');
  assert.equal(alignColumns(['REPOSITORY\tTAG\tX', 'bench/busybox\tlatest\ty']), 'REPOSITORY      TAG       X\nbench/busybox   latest    y\n');
  assert.equal(alignColumns(['PID\tCMD', '1\tsleep'], 20), 'PID                 CMD\n1                   sleep\n');
  const spec = {
    columns: [{ header: 'NAME', field: '.Name' }, { header: 'SIZE', field: '.Size' }],
    headers: { Name: 'NAME', Size: 'SIZE' },
    view: (r: { n: string; s: number }) => ({ Name: r.n, Size: humanSize(r.s) }),
  };
  const rows = [{ n: 'a', s: 1000 }, { n: 'bbbb', s: 1 }];
  assert.equal(formatRows(rows, spec, undefined), 'NAME      SIZE\na         1kB\nbbbb      1B\n');
  assert.equal(formatRows(rows, spec, 'table {{.Size}}'), 'SIZE\n1kB\n1B\n');
  // docker's header: the template over the headers, its functions giving them back as they are
  assert.equal(formatRows(rows, spec, 'table {{upper .Name}}\t{{if .Size}}big{{end}}'), 'NAME      big\nA         big\nBBBB      big\n');
  const labelled = { ...spec, view: (r: { n: string }) => ({ Name: r.n, Label: (k: string) => (k === 'com.x.my-key' ? 'v' : '') }) };
  assert.equal(formatRows([{ n: 'a' }], labelled, 'table {{.Name}}\t{{.Label "com.x.my-key"}}|{{.Other}}'), 'NAME      my key|OTHER\na         v|<no value>\n');
  assert.equal(formatRows(rows, spec, '{{.Name}}'), 'a\nbbbb\n');
  assert.equal(formatRows(rows, spec, 'json'), '{"Name":"a","Size":"1kB"}\n{"Name":"bbbb","Size":"1B"}\n');
  assert.equal(shortId('sha256:0123456789abcdef0123'), '0123456789ab');
});

test("--format json is docker's: an object a line, keys in byte order, no methods", () => {
  assert.equal(jsonLine({ b: 1, Names: 'x', a: '2', ID: 'i', Label: () => 'v' }), '{"ID":"i","Names":"x","a":"2","b":1}');
  // Go's json.Marshal escapes <, > and & (docker's images --format json: "Digest":"\u003cnone\u003e").
  assert.equal(jsonLine({ Digest: '<none>', Q: 'a&b' }), '{"Digest":"\\u003cnone\\u003e","Q":"a\\u0026b"}');
  const spec = { columns: [{ header: 'N', field: '.N' }], headers: {}, view: (n: number) => ({ N: String(n) }) };
  assert.equal(formatRows([1, 2], spec, 'json'), '{"N":"1"}\n{"N":"2"}\n');
  assert.equal(formatRows([], spec, 'json'), '');
});

test("rows as docker's formatter contexts: {{json .}} is their map, a field they lack is Go's error, methods work", () => {
  // docker CLI 28: `ps --format '{{json .}}'` has its keys in byte order; `{{.Bogus}}` fails with
  // "can't evaluate field Bogus in type *formatter.ContainerContext".
  const spec = {
    columns: [{ header: 'NAMES', field: '.Names' }],
    headers: { Names: 'NAMES' },
    context: 'formatter.ContainerContext',
    view: (n: string) => ({ Names: n, ID: 'i', Command: '"sh"', Label: (k: string) => (k === 'a' ? 'b' : '') }),
  };
  assert.equal(formatRows(['x'], spec, '{{json .}}'), '{"Command":"\\"sh\\"","ID":"i","Names":"x"}\n');
  assert.equal(formatRows(['x'], spec, '{{.Names}} {{.Label "a"}}|{{.Label "z"}}'), 'x b|\n');
  // The row marshals itself with json.Marshal (HTML escaped); {{json}} of a field does not escape.
  const lt = { ...spec, view: () => ({ Names: '<n>' }) };
  assert.equal(formatRows(['x'], lt, '{{json .}} {{json .Names}}'), '{"Names":"\\u003cn\\u003e"} "<n>"\n');
  assert.equal(formatRows(['x'], spec, 'table {{.Names}}'), 'NAMES\nx\n');
  // {{.}} prints the row's fields, not its methods' source.
  assert.equal(formatRows(['x'], spec, '{{.}}'), '{x i "sh"}\n');
  assert.throws(() => formatRows(['x'], spec, '{{.Bogus}}'), /^BerthError: template: :1:2: executing "" at <.Bogus>: can't evaluate field Bogus in type \*formatter.ContainerContext$/);
});

test("docker's CreatedAt forms: Go's time.String() and RFC 3339 to the second", () => {
  const utc = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(goTimeString('2026-12-04T13:32:01.501Z'), '2026-12-04 13:32:01 +0000 UTC');
  } finally {
    if (utc === undefined) delete process.env.TZ;
    else process.env.TZ = utc;
  }
  assert.equal(rfc3339Seconds('2026-12-04T13:32:01.501Z'), '2026-12-04T13:32:01Z');
  assert.equal(goTimeString(undefined), '');
});
