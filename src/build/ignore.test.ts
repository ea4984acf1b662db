// .dockerignore semantics (moby/patternmatcher): last match wins, ! re-includes, ** spans
// directories, a matched directory excludes what is below it, patterns are cleaned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IgnoreMatcher } from './ignore.js';

const CASES: [string, [string, boolean][]][] = [
  ['*.log', [['a.log', true], ['dir/a.log', false], ['a.txt', false]]],
  ['**/*.log', [['a.log', true], ['dir/a.log', true], ['x/y/z.log', true], ['a.txt', false]]],
  ['node_modules', [['node_modules', true], ['node_modules/x/y.js', true], ['src/node_modules', false]]],
  ['/build/', [['build', true], ['build/out.o', true], ['src/build', false]]],
  ['docs/**', [['docs/a.md', true], ['docs/x/y.md', true], ['docs', false]]],
  ['*.md\n!README.md', [['a.md', true], ['README.md', false]]],
  ['dir\n!dir/keep.txt', [['dir/keep.txt', false], ['dir/other.txt', true]]],
  ['!a\na', [['a', true]]],
  ['a?c', [['abc', true], ['ac', false], ['a/c', false]]],
  ['[a-c]at', [['bat', true], ['dat', false]]],
  ['# comment\n\n  temp  ', [['temp', true], ['# comment', false]]],
  ['./x/../y', [['y', true], ['x', false]]],
  ['**', [['anything/at/all', true]]],
  ['a/**/b', [['a/b', true], ['a/x/y/b', true], ['a/x/c', false]]],
];

for (const [patterns, checks] of CASES) {
  test(`ignore ${JSON.stringify(patterns)}`, () => {
    const m = IgnoreMatcher.parse(patterns);
    for (const [p, want] of checks) assert.equal(m.excluded(p), want, `${p} should ${want ? '' : 'not '}be excluded`);
  });
}

test('exceptions are noted so excluded directories are still walked', () => {
  assert.equal(IgnoreMatcher.parse('x\n!x/y').hasExceptions, true);
  assert.equal(IgnoreMatcher.parse('x').hasExceptions, false);
});
