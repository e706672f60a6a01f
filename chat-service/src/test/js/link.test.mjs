import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settle, MemoryStorage } from './fake-dom.mjs';
import { serve, page } from './fake-server.mjs';

const { isSafeBankPage, isLinkCallback, renderLinkForm } = await import('../../main/resources/META-INF/resources/views/link.js');
const { Api } = await import('../../main/resources/META-INF/resources/api.js');

test('the person is sent only to an https bank page, or to a sandbox bank on this computer', () => {
  assert.equal(isSafeBankPage('https://bank.example/authorise?request=az_1'), true);
  assert.equal(isSafeBankPage('http://127.0.0.1:8083/bank/authorise?request=az_1'), true);
  assert.equal(isSafeBankPage('http://localhost:8083/bank/authorise'), true);
  for (const url of ['http://bank.example/authorise', 'javascript:alert(1)', 'data:text/html,<p>x</p>',
    'ftp://bank.example/', '/relative', 'not a url', 'http://127.0.0.1.evil.example/']) {
    assert.equal(isSafeBankPage(url), false, url);
  }
});

test('only the bank\'s answer to the link this tab started is taken for one', () => {
  globalThis.sessionStorage = new MemoryStorage();
  const answer = (q) => new URLSearchParams(q);
  assert.equal(isLinkCallback(answer('code=c1&state=s1')), false, 'no link started here: a sign-in answer, say');
  sessionStorage.setItem('cc.link.pending', JSON.stringify({ state: 's1', bankName: 'Bank A' }));
  assert.equal(isLinkCallback(answer('code=c1&state=s1')), true);
  assert.equal(isLinkCallback(answer('error=access_denied&state=s1')), true, 'a denial at the bank too');
  assert.equal(isLinkCallback(answer('code=c1&state=s2')), false, 'another state');
  assert.equal(isLinkCallback(answer('state=s1')), false, 'no code and no error');
  assert.equal(isLinkCallback(answer('code=c1')), false, 'no state');
});

test('the link form offers every bank and says how far back transactions are read', async () => {
  const banks = Array.from({ length: 120 }, (_, i) => ({ id: `bank-${i}`, displayName: `Bank ${i}` }));
  serve((url) => page(url, 'banks', banks, 50));
  const root = document.createElement('main');
  await renderLinkForm(root, { api: new Api({ getToken: async () => 'tok' }), query: new URLSearchParams('bank=bank-119') });
  await settle();
  const choices = root.querySelectorAll('input[name=bank]');
  assert.equal(choices.length, 120, 'the 51st bank and beyond can be chosen');
  assert.equal(choices.filter((c) => c.checked).map((c) => c.value).join(), 'bank-119', 'a bank beyond the first page is preselected');
  const transactions = root.querySelectorAll('label.choice').find((l) => l.querySelector('input').value === 'TRANSACTIONS');
  assert.equal(transactions.textContent.trim(), 'Transactions from the last 12 months');
  assert.match(root.textContent, /Only from the accounts you choose at your bank/);
  const help = root.querySelectorAll('label.choice').find((l) => l.querySelector('input').value === 'CUSTOMER_SERVICE');
  assert.match(help.textContent, /Help from the bank in chat \(lets you share a balance or transactions card with the bank’s agents\)/,
    'what sharing a card needs is said where it is chosen');
});
