import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Api, ApiError } from '../../main/resources/META-INF/resources/api.js';
import { serve, page } from './fake-server.mjs';

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

const bank = (i) => ({ id: `bank-${i}`, displayName: `Bank ${i}` });
const link = (i, status) => ({ id: `link-${i}`, bankId: 'bank-b', status });

test('lists the views need whole are read page after page: every bank, every link', async () => {
  const banks = Array.from({ length: 120 }, (_, i) => bank(i));
  // 45 abandoned attempts at bank B, newest first, then the active link to bank A
  const links = [...Array.from({ length: 45 }, (_, i) => link(i, 'FAILED')), { id: 'link-a', bankId: 'bank-a', status: 'ACTIVE' }];
  const requests = serve((url) => (url.pathname === '/v1/banks' ? page(url, 'banks', banks, 50) : page(url, 'links', links, 20)));
  const api = new Api({ getToken: async () => 'tok' });
  assert.deepEqual((await api.banks()).map((b) => b.id), banks.map((b) => b.id));
  const read = await api.links();
  assert.equal(read.items.length, 46);
  assert.equal(read.items.at(-1).status, 'ACTIVE', 'the active link below the attempts is there');
  assert.equal(read.nextCursor, null, 'read to the end');
  assert.ok(requests.every((u) => u.searchParams.get('limit') === '100'), 'in pages of 100');
});

test('reading a list whole stops after a bound, and says where it stopped', async () => {
  let asked = 0;
  serve((url) => {
    asked++;
    return { accounts: [{ id: `a${url.searchParams.get('cursor') || 0}` }], nextCursor: String(asked) };
  });
  const api = new Api({ getToken: async () => 'tok' });
  const read = await api.accounts();
  assert.equal(asked, 10, 'ten pages, not for ever');
  assert.equal(read.items.length, 10);
  assert.equal(read.nextCursor, '10');
  const more = await api.accounts(read.nextCursor);
  assert.equal(more.items[0].id, 'a10', 'the next read goes on from there');
});
