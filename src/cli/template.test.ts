import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sprintf } from './template-fmt.js';
import { executeTemplate, parseTemplate } from './template.js';

const run = (src: string, data: unknown = {}) => executeTemplate(parseTemplate(src), data);
const parseErr = (src: string, msg: string) => assert.throws(() => parseTemplate(src), { message: msg });
const execErr = (src: string, data: unknown, msg: RegExp) => assert.throws(() => run(src, data), msg);

const C = {
  Name: '/web',
  State: { Running: true, Status: 'running', Pid: 42, ExitCode: 0 },
  Mounts: [
    { Source: '/a', Destination: '/x' },
    { Source: '/b', Destination: '/y' },
  ],
  Config: { Labels: { z: '1', a: '2', m: '3' }, Cmd: ['sh', '-c', 'true'], Env: null, Empty: [] as string[] },
};

test('text, fields, $, comments and trims', () => {
  assert.equal(run('plain'), 'plain');
  assert.equal(run('{{.Name}} {{.State.Pid}} {{$.Name}} {{.}}', { Name: 'n', State: { Pid: 1 } }), 'n 1 n map[Name:n State:map[Pid:1]]');
  assert.equal(run('a {{/* a comment */}} b'), 'a  b');
  assert.equal(run('a {{- /* c */ -}} b'), 'ab');
  assert.equal(run('x  {{- .A -}}  \n y', { A: 1 }), 'x1y');
  assert.equal(run('{{-3}}'), '-3');
  assert.equal(run('{{.Missing}} {{.Config.Env}} {{.Nope.Deeper}}', C), '<no value> <no value> <no value>');
});

test('values print as fmt %v', () => {
  assert.equal(run('{{.Config.Cmd}}', C), '[sh -c true]');
  assert.equal(run('{{.Config.Labels}}', C), 'map[a:2 m:3 z:1]');
  assert.equal(run('{{.}}', { a: [1, null], b: true }), 'map[a:[1 <nil>] b:true]');
  assert.equal(run('{{"s"}} {{`raw\\n`}} {{1.5}} {{true}} {{0x1F}} {{\'a\'}}'), 's raw\\n 1.5 true 31 97');
});

test('if / else if / else, Go truthiness', () => {
  assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}', C), 'up');
  const t = '{{if .A}}a{{else if .B}}b{{else}}none{{end}}';
  assert.equal(run(t, { A: 0, B: 'x' }), 'b');
  assert.equal(run(t, { A: '', B: [] }), 'none');
  assert.equal(run(t, { A: {}, B: null }), 'none');
  assert.equal(run(t, { A: [0] }), 'a');
  assert.equal(run('{{if not .A}}no{{end}}', {}), 'no');
});

test('range over arrays, maps (sorted keys), with variables and else', () => {
  assert.equal(run('{{range .Mounts}}{{.Source}} {{end}}', C), '/a /b ');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', C), 'a=2;m=3;z=1;');
  assert.equal(run('{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}} {{end}}', C), '0:/x 1:/y ');
  assert.equal(run('{{range $v := .Config.Cmd}}[{{$v}}]{{end}}', C), '[sh][-c][true]');
  assert.equal(run('{{range .Config.Empty}}x{{else}}empty{{end}}', C), 'empty');
  assert.equal(run('{{range .Config.Env}}x{{else}}nil{{end}}', C), 'nil');
  assert.equal(run('{{range .Config.Cmd}}{{if eq . "-c"}}{{continue}}{{end}}{{if eq . "true"}}{{break}}{{end}}{{.}}{{end}}', C), 'sh');
  assert.equal(run('{{range .}}{{$}}{{end}}', [1, 2]), '[1 2][1 2]');
});

test('with, variables and their scope', () => {
  assert.equal(run('{{with .State}}{{.Status}}{{end}}', C), 'running');
  assert.equal(run('{{with .Nope}}x{{else}}none{{end}}', C), 'none');
  assert.equal(run('{{with $s := .State.Status}}{{$s}}{{end}}', C), 'running');
  assert.equal(run('{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}', {}), '2');
  assert.equal(run('{{$n := 0}}{{range .}}{{$n = .}}{{end}}{{$n}}', [1, 2, 3]), '3');
  parseErr('{{if true}}{{$y := 3}}{{end}}{{$y}}', 'template: :1: undefined variable "$y"');
  parseErr('{{$z}}', 'template: :1: undefined variable "$z"');
});

test('pipelines, parentheses and function calls', () => {
  assert.equal(run('{{.Name | printf "%s!"}}', C), '/web!');
  assert.equal(run('{{printf "%s!" .Name}}', C), '/web!');
  assert.equal(run('{{len .Mounts}} {{len .Config.Labels}} {{len "héllo"}}', C), '2 3 6');
  assert.equal(run('{{(index .Mounts 1).Source}}', C), '/b');
  assert.equal(run('{{index .Config.Labels "a"}} {{index . "m" 1 "k"}}', { ...C, m: [0, { k: 'v' }] }), '2 v');
  assert.equal(run('{{.Config.Cmd | len | printf "%03d"}}', C), '003');
  assert.equal(run('{{slice "abcdef" 1 3}} {{slice .Config.Cmd 1}}', C), 'bc [-c true]');
  assert.equal(run('{{.Label "env"}}', { Label: (k: string) => `L(${k})` }), 'L(env)');
});

test("comparisons, and/or (lazy, returning an operand)", () => {
  assert.equal(run('{{eq .State.Status "running"}} {{ne .State.Status "running"}}', C), 'true false');
  assert.equal(run('{{eq .State.Pid 1 2 42}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', C), 'true true true true false');
  assert.equal(run('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}}', {}), '0 2 x ');
  assert.equal(run('{{and .Nope (index .Nope 1)}}|{{or .Name .Nope.X}}', C), '<no value>|/web');
  execErr('{{eq 1 "a"}}', {}, /template: :1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison/);
});

test('print, printf verbs, println', () => {
  assert.equal(run('{{print "a" 1 2 "b"}}|{{println 1 "x"}}'), 'a1 2b|1 x\n');
  assert.equal(sprintf('%s|%d|%v|%q|%t|%x|%X|%5s|%-5s|%.2f|%%', ['s', 42, [1, 'a'], 'q"', true, 255, 'hi', 'ab', 'cd', 3.14159]), 's|42|[1 a]|"q\\""|true|ff|6869|   ab|cd   |3.14|%');
  assert.equal(sprintf('%d %s', [1]), '1 %!s(MISSING)');
  // docker printed these: %U, %g and %v of floats as Go's strconv, verbs applied to each element
  assert.equal(sprintf('%U|%e|%g|%+d|%08.3f|%-6q|%#x', [65, 1234.5678, 0.000012, 5, -3.14159, 'a', 255]), 'U+0041|1.234568e+03|1.2e-05|+5|-003.142|"a"   |0xff');
  assert.equal(sprintf('%s %d %q', [['sleep', '600'], ['sleep', '600'], ['sleep', '600']]), '[sleep 600] [%!d(string=sleep) %!d(string=600)] ["sleep" "600"]');
  assert.equal(run('{{print 1.5 0.000012 1234567.5 42}}'), '1.5 1.2e-05 1.2345675e+06 42');
  assert.equal(sprintf('%T %T %T %T', ['s', 1, [1], { a: 1 }]), 'string int []interface {} map[string]interface {}');
  assert.equal(sprintf('%d', ['x']), '%!d(string=x)');
  assert.equal(sprintf('x', [1]), 'x%!(EXTRA int=1)');
  assert.equal(sprintf('%05.1f|%+d|%8.3s|', [3.14159, 5, 'abcdef']), '003.1|+5|     abc|');
});

test('html, js, urlquery', () => {
  assert.equal(run(`{{html "<a href='x'>&\\"</a>"}}`), '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;');
  assert.equal(run(`{{js "it's <b>\\"x\\"</b>"}}`), "it\\'s \\u003Cb\\u003E\\\"x\\\"\\u003C/b\\u003E");
  assert.equal(run('{{urlquery "a b&c=d/é"}}'), 'a+b%26c%3Dd%2F%C3%A9');
});

test("docker's functions: json, split, join, title, lower, upper, pad, truncate", () => {
  assert.equal(run('{{json .Config.Cmd}} {{json .Config.Env}} {{json .Nope}}', C), '["sh","-c","true"] null null');
  // encoding/json sorts a map's keys; an object of Go field names keeps its (struct) order
  assert.equal(run('{{json .}}', { z: '1', a: '2', 'com.ex': { State: 1, Pid: 2 } }), '{"a":"2","com.ex":{"State":1,"Pid":2},"z":"1"}');
  assert.equal(run('{{json .}}', { Status: 'up', Pid: 7 }), '{"Status":"up","Pid":7}');
  assert.equal(run('{{split "a:b:c" ":"}} {{len (split "" ",")}}'), '[a b c] 1');
  assert.equal(run('{{join .Config.Cmd ","}} {{join (split "a b" " ") "+"}}', C), 'sh,-c,true a+b');
  assert.equal(run('{{title "hello wORLD foo-bar x_y"}}'), 'Hello WORLD Foo-Bar X_y');
  assert.equal(run('{{lower "AbC"}} {{upper "AbC"}}'), 'abc ABC');
  assert.equal(run('[{{pad "x" 2 1}}][{{pad "" 2 1}}]'), '[  x ][]');
  assert.equal(run('{{truncate "abcdef" 3}} {{truncate "ab" 3}}'), 'abc ab');
});

test("parse errors in Go's words", () => {
  parseErr('{{nosuch .X}}', 'template: :1: function "nosuch" not defined');
  parseErr('{{if true}}x', 'template: :1: unexpected EOF');
  parseErr('{{end}}', 'template: :1: unexpected {{end}}');
  parseErr('{{else}}', 'template: :1: unexpected {{else}}');
  parseErr('{{.X', 'template: :1: unclosed action');
  parseErr('a\n{{.X', 'template: :2: unclosed action');
  parseErr('{{}}', 'template: :1: missing value for command');
  parseErr('{{if}}{{end}}', 'template: :1: missing value for if');
  parseErr('{{break}}', 'template: :1: {{break}} outside {{range}}');
  parseErr('{{"abc}}', 'template: :1: unterminated quoted string');
  // functions are checked even where they would never run
  parseErr('{{if false}}{{bogus}}{{end}}', 'template: :1: function "bogus" not defined');
});

test('execution errors', () => {
  execErr('{{index .Config.Cmd 5}}', C, /error calling index: index out of range: 5/);
  execErr('{{.Name 1}}', C, /template: :1:2: executing "" at <\.Name>: Name is not a method but has arguments$/);
  execErr('{{"x" 1}}', C, /can't give argument to non-function "x"/);
  execErr('{{range .Name}}{{end}}', C, /range can't iterate over \/web/);
  execErr('{{len 3}}', C, /error calling len: len of type int/);
  execErr('{{not}}', C, /executing "" at <not>: wrong number of args for not: want 1 got 0/);
  execErr('{{printf}}', C, /wrong number of args for printf: want at least 1 got 0/);
  execErr('{{.Name | truncate 1 2}}', C, /template: :1:10: executing "" at <truncate>: wrong number of args for truncate: want 2 got 3/);
});
