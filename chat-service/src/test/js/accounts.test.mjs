// The Accounts page (views/accounts.js) over a server that pages links and accounts as chat-service does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { visibleText, buttons, settle, shown } from './fake-dom.mjs';
import { serve, page } from './fake-server.mjs';

const { Api } = await import('../../main/resources/META-INF/resources/api.js');
const { renderAccounts } = await import('../../main/resources/META-INF/resources/views/accounts.js');

const attempt = (i) => ({ id: `attempt-${i}`, bankId: 'bank-b', bankDisplayName: 'Bank B', status: 'FAILED',
  statusReason: 'You did not finish at your bank.', permissions: ['ACCOUNTS_BASIC'], purposes: ['ACCOUNT_OVERVIEW'] });
const active = { id: 'link-a', bankId: 'bank-a', bankDisplayName: 'Bank A', status: 'ACTIVE', consentId: 'consent-a',
  permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['ACCOUNT_OVERVIEW'] };
const account = (i) => ({ id: `acc-${i}`, linkId: 'link-a', displayName: `Account ${i}`, type: 'CURRENT', currency: 'EUR' });

async function accountsPage({ links, accounts }) {
  serve((url) => (url.pathname === '/v1/links' ? page(url, 'links', links, 20) : page(url, 'accounts', accounts, 20)));
  const root = document.createElement('main');
  await renderAccounts(root, { api: new Api({ getToken: async () => 'tok' }) });
  await settle();
  return root;
}

/** The part of the page below a heading. */
function under(root, heading) {
  return root.querySelectorAll('h2').find((h) => h.textContent === heading).nextElementSibling;
}

/** The link cards shown (not folded away), by their heading. */
function shownLinks(root) {
  const linksBox = under(root, 'Linked banks');
  return linksBox.querySelectorAll('li.card-item').filter(shown).map((li) => ({
    bank: li.querySelector('h3').textContent, unlink: buttons(li, 'Unlink').length === 1 }));
}

test('an active link behind 25 newer failed attempts at another bank is shown, with its Unlink', async () => {
  const root = await accountsPage({ links: [...Array.from({ length: 25 }, (_, i) => attempt(i)), active], accounts: [account(1)] });
  assert.deepEqual(shownLinks(root), [{ bank: 'Bank A', unlink: true }], 'the attempts are folded away');
  const history = root.querySelector('details.past-links');
  assert.match(visibleText(history.querySelector('summary')), /\(25\)/, 'and counted where they are');
  assert.doesNotMatch(visibleText(root), /No bank is linked/);
});

test('without an active link the page says so, and keeps the attempts to look at', async () => {
  const root = await accountsPage({ links: [attempt(1)], accounts: [] });
  assert.deepEqual(shownLinks(root), []);
  assert.match(visibleText(root), /No bank is linked now/);
  assert.match(visibleText(root), /No accounts to show/);
});

test('every account is listed, not only the first page of 20', async () => {
  const root = await accountsPage({ links: [active], accounts: Array.from({ length: 45 }, (_, i) => account(i)) });
  const accountsBox = under(root, 'Your accounts');
  assert.equal(accountsBox.querySelectorAll('li.card-item').length, 45);
  assert.equal(buttons(root, 'More accounts').length, 0, 'nothing more to show');
});
