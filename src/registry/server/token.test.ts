import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenSigner } from './token.js';

test('a token lives its whole TTL, even one issued late in a second', () => {
  const signer = new TokenSigner('issuer', 'service', 1);
  // Issued at 1000.999 s with a 1 s TTL: still good at 1001 s (it was refused there, 1 ms old).
  const { token, claims } = signer.issue('alice', [], 1_000_999);
  assert.equal(claims.iat, 1000);
  assert.ok(signer.check(token, 1001));
  assert.equal(signer.check(token, 1002), undefined, 'expired once its TTL, rounded up, has passed');
  assert.equal(signer.check('not.a.token', 1001), undefined);
});
