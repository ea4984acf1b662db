import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration, goDurationNs } from './go-duration.js';

test("Go's ParseDuration: units, fractions, signs; anything else is no duration", () => {
  assert.equal(goDurationNs('1h30m'), 5400e9);
  assert.equal(goDurationNs('0.5s'), 500e6);
  assert.equal(goDurationNs('.5s'), 500e6);
  assert.equal(goDurationNs('1.5h'), 5400e9);
  assert.equal(goDurationNs('300ms'), 300e6);
  assert.equal(goDurationNs('2µs'), 2e3);
  assert.equal(goDurationNs('+3m'), 180e9);
  assert.equal(goDurationNs('-3m'), -180e9);
  assert.equal(goDurationNs('0'), 0);
  for (const bad of ['', '-', '5', '1x', 's', '1s ', ' 1s', '1m30', '1..5s', '2006-01-02']) assert.equal(goDurationNs(bad), undefined, bad);
});

test('durations printed as Go prints them', () => {
  assert.equal(formatGoDuration(30e9), '30s');
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(300e6), '300ms');
  assert.equal(formatGoDuration(1.5e9), '1.5s');
  assert.equal(formatGoDuration(3600e9), '1h0m0s');
  assert.equal(formatGoDuration(1e6), '1ms');
  assert.equal(formatGoDuration(0), '0s');
});

