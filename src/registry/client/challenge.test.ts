import assert from 'node:assert/strict';
import { test } from 'node:test';
import { challengeScopes, normalizeScopes, parseChallenges, scopesCover } from './challenge.js';
import { nextLink } from './listing.js';

test('parses a Bearer challenge with quoted values holding commas', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/a:pull,push repository:b:pull"');
  assert.equal(c.scheme, 'bearer');
  assert.equal(c.params.realm, 'https://auth.docker.io/token');
  assert.equal(c.params.service, 'registry.docker.io');
  assert.deepEqual(challengeScopes(c), ['repository:library/a:pull,push', 'repository:b:pull']);
});

test('parses several challenges, escapes, tokens without quotes and an error param', () => {
  const cs = parseChallenges(['Basic realm="Registry \\"x\\"", Bearer realm=https://r/t ,error="insufficient_scope", scope="repository:x:push"', 'Negotiate abc==']);
  assert.deepEqual(
    cs.map((c) => c.scheme),
    ['basic', 'bearer', 'negotiate'],
  );
  assert.equal(cs[0].params.realm, 'Registry "x"');
  assert.equal(cs[1].params.realm, 'https://r/t');
  assert.equal(cs[1].params.error, 'insufficient_scope');
  assert.equal(cs[2].params.token68, 'abc==');
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges('   '), []);
});

test('scope sets merge actions per resource and compare as sets', () => {
  assert.deepEqual(normalizeScopes(['repository:a:push', 'repository:a:pull', 'repository:b:pull', 'registry:catalog:*']), [
    'registry:catalog:*',
    'repository:a:pull,push',
    'repository:b:pull',
  ]);
  assert.ok(scopesCover(['repository:a:pull,push'], ['repository:a:pull']));
  assert.ok(!scopesCover(['repository:a:pull'], ['repository:a:pull,push']));
  assert.ok(!scopesCover(['repository:a:pull'], ['repository:b:pull']));
  assert.ok(scopesCover(['repository:a:*'], ['repository:a:delete']));
  assert.ok(scopesCover([], []));
});

test('Link headers give the next page, relative or absolute', () => {
  const base = new URL('http://127.0.0.1:5000/v2/_catalog?n=2');
  assert.equal(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', base)?.href, 'http://127.0.0.1:5000/v2/_catalog?last=b&n=2');
  assert.equal(nextLink('<https://x/a?b=1>; rel="prev", <https://x/a?b=2>; rel=next', base)?.href, 'https://x/a?b=2');
  assert.equal(nextLink('<https://x/a>; rel="prev"', base), undefined);
  assert.equal(nextLink(undefined, base), undefined);
});
