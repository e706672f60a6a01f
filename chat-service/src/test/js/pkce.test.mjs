import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { base64UrlEncode, pkceChallenge, createPkcePair, randomToken, decodeJwtPayload } from '../../main/resources/META-INF/resources/auth.js';

test('S256 challenge matches the RFC 7636 appendix B example', async () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  assert.equal(await pkceChallenge(verifier, webcrypto), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('a fresh verifier is 43 unreserved characters and its challenge is its SHA-256', async () => {
  const { verifier, challenge, method } = await createPkcePair(webcrypto);
  assert.equal(method, 'S256');
  assert.match(verifier, /^[A-Za-z0-9\-._~]{43}$/);
  assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(challenge, await pkceChallenge(verifier, webcrypto));
  const other = await createPkcePair(webcrypto);
  assert.notEqual(other.verifier, verifier, 'verifiers are random');
});

test('base64url has no padding and uses - and _', () => {
  assert.equal(base64UrlEncode(new Uint8Array([0xfb, 0xff])), '-_8');
  assert.equal(base64UrlEncode(new Uint8Array([])), '');
  assert.equal(randomToken(webcrypto, 16).length, 22);
});

test('JWT claims decode (for display only)', () => {
  const payload = base64UrlEncode(new TextEncoder().encode(JSON.stringify({ sub: 'abc', name: 'Zoë' })));
  assert.deepEqual(decodeJwtPayload(`e30.${payload}.sig`), { sub: 'abc', name: 'Zoë' });
  assert.equal(decodeJwtPayload('garbage'), null);
});
