// The Privacy page (views/privacy.js): what each consent says about the accounts it covers and the transaction
// history it lets be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settle } from './fake-dom.mjs';
import { serve, page } from './fake-server.mjs';

const { Api } = await import('../../main/resources/META-INF/resources/api.js');
const { renderPrivacy, consentAccounts, transactionWindow } = await import('../../main/resources/META-INF/resources/views/privacy.js');
const { longDate } = await import('../../main/resources/META-INF/resources/format.js');

const FROM = '2025-12-06T00:00:00Z';
const consent = { id: 'consent-a', bankId: 'bank-a', bankDisplayName: 'Bank A', status: 'AUTHORISED',
  permissions: ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS'], purposes: ['ACCOUNT_OVERVIEW'],
  accountIds: ['acc-current-1', 'acc-savings-2'], transactionFrom: FROM, transactionTo: null,
  createdAt: '2026-12-06T10:00:00Z', expiresAt: '2027-03-06T10:00:00Z' };
const link = { id: 'link-a', bankId: 'bank-a', consentId: 'consent-a', status: 'ACTIVE', accounts: [
  { id: 'm1', displayName: 'Everyday Account', maskedNumber: '•••• 4821' }, { id: 'm2', displayName: 'Savings', maskedNumber: '' }] };

/** The consent card's facts: {term: description}. */
function facts(root) {
  const dl = root.querySelector('li.card-item dl.facts');
  const out = {};
  const items = dl.children;
  for (let i = 0; i < items.length; i += 2) out[items[i].textContent] = items[i + 1].textContent;
  return out;
}

async function privacyPage(links) {
  serve((url) => {
    if (url.pathname === '/v1/consents') return { consents: [consent], nextCursor: null };
    if (url.pathname === '/v1/links') return page(url, 'links', links, 20);
    return { records: [], nextCursor: null };
  });
  const root = document.createElement('main');
  renderPrivacy(root, { api: new Api({ getToken: async () => 'tok' }), announce: () => {} });
  await settle();
  return root;
}

test('a consent shows the accounts it covers by name, and how far back transactions are read', async () => {
  const shown = facts(await privacyPage([link]));
  assert.equal(shown.Accounts, 'Everyday Account · •••• 4821, Savings');
  assert.equal(shown.Transactions, `From ${longDate(FROM)} on`);
});

test('without a link that names them, the accounts are the bank\'s ids the consent holds', async () => {
  const shown = facts(await privacyPage([]));
  assert.equal(shown.Accounts, 'Accounts at the bank: acc-current-1, acc-savings-2');
});

test('a consent without an account scope, and the windows a consent may have', () => {
  const bare = { ...consent, accountIds: [] };
  assert.equal(consentAccounts({ ...bare, status: 'AWAITING_AUTHORISATION' }, []), 'The accounts you choose at your bank');
  assert.equal(consentAccounts(bare, []), 'Every account of this link');
  const to = '2026-06-30T00:00:00Z';
  assert.equal(transactionWindow({ transactionFrom: FROM, transactionTo: to }), `From ${longDate(FROM)} to ${longDate(to)}`);
  assert.equal(transactionWindow({}), 'No date limit');
});
