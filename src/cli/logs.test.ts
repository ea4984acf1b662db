import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerTime, parseTime, sentTimestamp, tailCount } from './logs.js';

test("log timestamps as docker's: UTC, nine fractional digits, Z", () => {
  // conmon's k8s-file times carry the local offset; dockerd 20.10 prints the same line's time so.
  assert.equal(dockerTime('2026-12-04T22:00:38.346047817+00:00'), '2026-12-04T22:00:38.346047817Z');
  assert.equal(dockerTime('2026-12-04T23:00:38.5+01:00'), '2026-12-04T22:00:38.500000000Z');
  assert.equal(dockerTime('2026-12-04T22:00:38Z'), '2026-12-04T22:00:38.000000000Z');
  assert.equal(dockerTime('2026-12-05T00:30:00.1234567891-03:00'), '2026-12-05T03:30:00.123456789Z');
  assert.equal(dockerTime('not a time'), 'not a time');
});

test("--since and --until as docker reads them: Go durations, Unix seconds, dates", () => {
  const now = Date.parse('2026-12-05T01:00:00Z');
  // dockerd 20.10 with docker CLI 28: `logs --since 0.5s` took; berth knew whole h/m/s only.
  assert.equal(parseTime('0.5s', 'since', now).toISOString(), '2026-12-05T00:59:59.500Z');
  assert.equal(parseTime('1h30m', 'since', now).toISOString(), '2026-12-04T23:30:00.000Z');
  assert.equal(parseTime('250ms', 'since', now).toISOString(), '2026-12-05T00:59:59.750Z');
  assert.equal(parseTime('-1m', 'until', now).toISOString(), '2026-12-05T01:01:00.000Z');
  assert.equal(parseTime('0', 'since', now).getTime(), 0);
  assert.equal(parseTime('1764892800.5', 'since', now).getTime(), 1764892800500);
  assert.equal(parseTime('2026-12-04T22:00:38Z', 'since', now).toISOString(), '2026-12-04T22:00:38.000Z');
  assert.throws(() => parseTime('bogus', 'since', now), /invalid value for "since": failed to parse value as time or duration: "bogus"$/);
});

test("--tail as docker's daemon reads it: a count, anything else all", () => {
  // dockerd 20.10: `logs --tail x` printed every line; berth refused it ('invalid --tail "x"').
  assert.equal(tailCount('3'), 3);
  assert.equal(tailCount('+3'), 3);
  assert.equal(tailCount('0'), 0);
  for (const all of ['all', 'x', '1.5', '-1', '', ' 3', '99999999999999999999']) assert.equal(tailCount(all), undefined, all);
});

test("times as docker's CLI sends them, which its daemon quotes back: durations whole seconds, numbers as written, dates with nine digits", () => {
  const now = Date.parse('2026-12-05T01:00:00.250Z');
  assert.equal(sentTimestamp('1h', parseTime('1h', 'until', now)), '1796428800');
  assert.equal(sentTimestamp('0s', parseTime('0s', 'since', now)), '1796432400');
  assert.equal(sentTimestamp('1796442508.5', parseTime('1796442508.5', 'since', now)), '1796442508.5');
  assert.equal(sentTimestamp('2026-12-05T03:00:00Z', parseTime('2026-12-05T03:00:00Z', 'since', now)), '1796439600.000000000');
  assert.equal(sentTimestamp('2026-12-05T03:00:00.5Z', parseTime('2026-12-05T03:00:00.5Z', 'since', now)), '1796439600.500000000');
});
