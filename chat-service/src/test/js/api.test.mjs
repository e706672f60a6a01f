import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../main/resources/META-INF/resources/api.js';

const P = 'https://commercechat.example/problems/';

test('a problem "not-found" names something that is not there, not a feature the server lacks', () => {
  const gone = new ApiError({ status: 404, type: `${P}not-found`, detail: 'The conversation was not found.' });
  assert.equal(gone.notAvailable, false);
  assert.equal(gone.message, 'The conversation was not found.', 'the person is shown what the server said');
});

test('a method the server does not offer, or 501, or a bare 404 from an older server, is "not available"', () => {
  assert.equal(new ApiError({ status: 405, type: `${P}method-not-allowed` }).notAvailable, true);
  assert.equal(new ApiError({ status: 501 }).notAvailable, true);
  assert.equal(new ApiError({ status: 404 }).notAvailable, true);
  assert.equal(new ApiError({ status: 409, type: `${P}conflict` }).notAvailable, false);
});
