import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJws } from '../../main/resources/META-INF/resources/jws.js';
import { base64UrlEncode } from '../../main/resources/META-INF/resources/auth.js';

const part = (o) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(o)));

test('a receipt JWS decodes into header and contents', () => {
  const jws = `${part({ alg: 'ES256', kid: 'k1' })}.${part({ consentId: 'c1', purposes: ['ACCOUNT_OVERVIEW'] })}.c2ln`;
  const d = decodeJws(jws);
  assert.equal(d.header.kid, 'k1');
  assert.deepEqual(d.payload.purposes, ['ACCOUNT_OVERVIEW']);
  assert.throws(() => decodeJws('a.b'));
});
