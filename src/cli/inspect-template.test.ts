import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTAINER_INSPECT } from './docker-types.js';
import { renderInspected, templateParseError } from './inspect-template.js';

const doc = () => ({
  Id: 'abc',
  State: { Status: 'running', Running: true, Pid: 5, Error: '', StartedAt: 's', FinishedAt: 'f' },
  ExecIDs: null,
  Config: { Entrypoint: null, Labels: { a: 'b' } },
});
const render = (format: string, n = 1) => renderInspected(format, Array.from({ length: n }, () => ({ doc: doc(), type: CONTAINER_INSPECT })));

test("a typed run that fails runs again over the raw JSON, as docker's CLI does", () => {
  // docker 28: {{.Id}} is no field of its struct (ID is), so the raw maps print.
  assert.deepEqual(render('{{.ID}} {{.Config.Entrypoint}}'), { out: 'abc []\n', errors: [] });
  assert.deepEqual(render('{{.Id}} {{.State.Pid}} {{.Config.Entrypoint}} {{.Config.Labels}}'), { out: 'abc 5 <no value> map[a:b]\n', errors: [] });
  assert.match(render('{{.Id}} {{.State}}').out, /^abc map\[Error: FinishedAt:f Pid:5 Running:true StartedAt:s Status:running\]\n$/);
});

test("a key in neither is docker's error, and no output at all is one empty line", () => {
  assert.deepEqual(render('{{.Config.Bogus}}', 2), {
    out: '\n',
    errors: Array(2).fill('template parsing error: template: :1:9: executing "" at <.Config.Bogus>: map has no entry for key "Bogus"'),
  });
  assert.deepEqual(render('{{.State.Health.Status}}').errors, ['template parsing error: template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"']);
  // Inside decoded JSON every value is an interface {} to Go.
  assert.deepEqual(render('{{.State.Pid.X}} {{.Id}}').errors, ['template parsing error: template: :1:8: executing "" at <.State.Pid.X>: can\'t evaluate field X in type interface {}']);
  assert.deepEqual(render('{{.Id}}{{.ExecIDs.X}}').errors, ['template parsing error: template: :1:17: executing "" at <.ExecIDs.X>: nil pointer evaluating interface {}.X']);
});

test("parse errors in docker's words", () => {
  assert.equal(templateParseError('{{.Id'), 'template parsing error: template: :1: unclosed action');
  assert.equal(templateParseError('{{.Id}}{{end}}'), 'template parsing error: template: :1: unexpected {{end}}');
  assert.equal(templateParseError('{{nosuch .Id}}'), 'template parsing error: template: :1: function "nosuch" not defined');
  assert.equal(templateParseError('{{.Id}}'), undefined);
});
