// Word expansion vectors: the values of moby's builder/dockerfile/shell/envVarTest (with
// PWD=/home, SHELL=bash, KOREAN=한국어), plus word splitting and the backtick escape.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the vectors are Containerfile words, not templates
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandWord, expandWords } from './shell-lex.js';

const ENV: Record<string, string> = { PWD: '/home', SHELL: 'bash', KOREAN: '한국어' };
const lookup = (n: string) => ENV[n];

/** [input, expected] or [input, null] for an error. */
const VECTORS: [string, string | null][] = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", null],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", null],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ['"abc\\\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', null],
  ['"hello\\"', null],
  ['"hel\'lo"', "hel'lo"],
  ["'hello", null],
  ["'hello\\'", 'hello\\'],
  ["'hello\\there'", 'hello\\there'],
  ['"\'\'"', "''"],
  ['$.', '$.'],
  ['$1', ''],
  ['he$1x', 'hex'],
  ['he$.x', 'he$.x'],
  ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'],
  ['\\${}', '${}'],
  ['\\${}aaa', '${}aaa'],
  ['he\\${}', 'he${}'],
  ['${}', null],
  ['he${}xx', null],
  ['he${hi}', 'he'],
  ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'],
  ['he${.}', null],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', null],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${XXX}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ['"$PWD"', '/home'],
  ["'$PWD'", '$PWD'],
  ["'\\$PWD'", '\\$PWD'],
  ['\'"hello"\'', '"hello"'],
  ["'he\\$PWD'", 'he\\$PWD'],
  ['he${PWD', null],
  ['he${PWD:=000}xx', null],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'],
  ['안녕하세요', '안녕하세요'],
  ["안'녕'하세요", '안녕하세요'],
  ["안'녕하세요", null],
  ['안녕$PWD', '안녕/home'],
  ['$KOREAN', '한국어'],
  ['안녕$KOREAN', '안녕한국어'],
  ['${{aaa}', null],
  ['${aaa}}', '}'],
  ['${aaa', null],
  ['${{aaa:-bbb}', null],
  ['${aaa:-bbb}}', 'bbb}'],
  ['${aaa:-bbb', null],
  ['${aaa:-bbb}', 'bbb'],
  ['${aaa:-${bbb:-ccc}}', 'ccc'],
  ['${aaa:-bbb ${foo}', null],
  ['${aaa:-bbb {foo}', 'bbb {foo'],
  ['${:}', null],
  ['${:-bbb}', null],
  ['${:+bbb}', null],
];

for (const [input, want] of VECTORS) {
  test(`expandWord ${JSON.stringify(input)}`, () => {
    if (want === null) assert.throws(() => expandWord(input, lookup), { name: 'BerthError' });
    else assert.equal(expandWord(input, lookup), want);
  });
}

test('unset and empty differ for - and :-, + and :+', () => {
  const env = (n: string) => ({ E: '' })[n];
  assert.equal(expandWord('${E-x}', env), '');
  assert.equal(expandWord('${E:-x}', env), 'x');
  assert.equal(expandWord('${E+x}', env), 'x');
  assert.equal(expandWord('${E:+x}', env), '');
  assert.equal(expandWord('${U-x}', env), 'x');
  assert.throws(() => expandWord('${U:?must be set}', env), /U: must be set/);
});

test('expandWords splits at unquoted blanks, not inside quotes or variable values', () => {
  const env = (n: string) => ({ V: 'a b' })[n];
  assert.deepEqual(expandWords('one "two three" $V \'four\'', env), ['one', 'two three', 'a b', 'four']);
  assert.deepEqual(expandWords('  ', env), []);
  assert.deepEqual(expandWords('"" x', env), ['', 'x']);
});

test('the backtick escape directive replaces the backslash', () => {
  assert.equal(expandWord('c:\\dir`$PWD', lookup, { escapeChar: '`' }), 'c:\\dir$PWD');
});

test('heredoc bodies keep quotes and only escape $', () => {
  assert.equal(expandWord(`echo "$PWD" '\\$x' a\\b`, lookup, { keepQuotes: true }), `echo "/home" '$x' a\\b`);
});
