// "Link account": the person chooses what to share, for what and for how long, then approves at
// the bank. The bank sends the browser back to `/?code=&state=` (or `?error=&state=`).

import { h, clear, notice, errorNotice } from '../dom.js';
import { PERMISSIONS, PURPOSES, TRANSACTION_HISTORY, enumLabel } from '../format.js';

const PENDING_LINK_KEY = 'cc.link.pending';
const DEFAULT_PERMISSIONS = ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS'];
// Linking reads which accounts the person chose (names, types, currencies): every link asks for it.
const REQUIRED_PERMISSION = 'ACCOUNTS_BASIC';
const DEFAULT_PURPOSES = ['ACCOUNT_OVERVIEW'];
// what choosing a purpose lets happen, where the label alone does not say it (chat-service answers a share without it
// with 403 sharing-not-consented)
const PURPOSE_HINTS = { CUSTOMER_SERVICE: 'lets you share a balance or transactions card with the bank’s agents' };
const VALIDITY_DAYS = [30, 90, 180];

export function redirectUri() {
  return `${location.origin}/`;
}

/** Link form at #/link (optionally ?bank=<id> to preselect). */
export async function renderLinkForm(root, { api, query }) {
  clear(root);
  const section = h('section', { class: 'page', 'aria-labelledby': 'link-title' },
    h('h1', { id: 'link-title' }, 'Link a bank account'),
    h('p', { class: 'lead' }, 'Choose what Commerce Chat may read from your bank, why, and for how long. '
      + 'You approve at your bank; you can end access at any time on the Privacy page.'));
  root.appendChild(section);
  const status = notice('info', 'Loading banks…');
  section.appendChild(status);
  let banks;
  try {
    banks = await api.banks();
  } catch (e) {
    status.replaceWith(errorNotice(e, 'Linking bank accounts'));
    return;
  }
  status.remove();
  if (!banks.length) {
    section.appendChild(notice('info', 'No banks are available to link yet.'));
    return;
  }
  const preselect = query.get('bank');
  const error = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'button' }, 'Continue to your bank');
  const form = h('form', { class: 'link-form', novalidate: true },
    h('fieldset', {},
      h('legend', {}, 'Bank'),
      h('p', { class: 'muted small' }, 'Linking a bank you have linked already replaces that link: its access ends, '
        + 'and the accounts you choose now are the ones shown.'),
      banks.map((b, i) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name: 'bank', value: b.id, required: true,
          checked: preselect ? b.id === preselect : i === 0 }),
        ' ', b.displayName || b.id))),
    h('fieldset', {},
      h('legend', {}, 'What may be read'),
      h('p', { class: 'muted small' }, 'Only from the accounts you choose at your bank.'),
      PERMISSIONS.map((p) => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name: 'permission', value: p.value,
          checked: DEFAULT_PERMISSIONS.includes(p.value), disabled: p.value === REQUIRED_PERMISSION }),
        ' ', p.label, p.value === REQUIRED_PERMISSION ? ' (always: linking shows which accounts you chose)' : '',
        p.value === 'TRANSACTIONS' ? ` ${TRANSACTION_HISTORY}` : ''))),
    h('fieldset', {},
      h('legend', {}, 'What for'),
      h('p', { class: 'muted small' }, 'Never for advertising or marketing.'),
      PURPOSES.map((p) => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name: 'purpose', value: p.value, checked: DEFAULT_PURPOSES.includes(p.value) }),
        ' ', p.label, PURPOSE_HINTS[p.value] ? h('span', { class: 'muted small' }, ` (${PURPOSE_HINTS[p.value]})`) : null))),
    h('div', { class: 'field' },
      h('label', { for: 'valid-days' }, 'For how long'),
      h('select', { id: 'valid-days', name: 'validDays' },
        VALIDITY_DAYS.map((d) => h('option', { value: String(d), selected: d === 90 }, `${d} days`)))),
    error,
    h('div', { class: 'actions' }, submit, ' ', h('a', { href: '#/accounts', class: 'button secondary' }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(error);
    const data = new FormData(form);
    const bankId = data.get('bank');
    const permissions = [REQUIRED_PERMISSION, ...data.getAll('permission')];  // a disabled box is not in the form data
    const purposes = data.getAll('purpose');
    if (!bankId || !purposes.length) {  // permissions always hold the required one
      error.appendChild(notice('error', 'Choose a bank and at least one purpose.'));
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Contacting your bank…';
    try {
      const r = await api.beginLink({ bankId, permissions, purposes, validDays: Number(data.get('validDays')), redirectUri: redirectUri() });
      const url = r?.authorisationUrl || r?.authorizationUrl;
      if (!url) throw new Error('The bank did not provide an authorisation page.');
      if (!isSafeBankPage(url)) throw new Error('The bank gave an authorisation page that is not a secure (https) address; nothing was sent to it.');
      const bank = banks.find((b) => b.id === bankId);
      sessionStorage.setItem(PENDING_LINK_KEY, JSON.stringify({ state: r.state, bankName: bank?.displayName || bankId,
        linkId: r.link?.id }));
      location.assign(url);
    } catch (err) {
      submit.disabled = false;
      submit.textContent = 'Continue to your bank';
      error.appendChild(errorNotice(err, 'Linking bank accounts'));
    }
  });
  section.appendChild(form);
}

/**
 * True when the page was opened with a bank's answer to a link this tab started: its `state` is the one stored when
 * the tab sent the person to the bank. Any other `?code=&state=` (a sign-in answer this tab did not ask for, a link
 * started elsewhere) is not sent to the server as a bank answer.
 */
export function isLinkCallback(params) {
  const state = params.get('state');
  return Boolean(state && (params.has('code') || params.has('error')) && readPending()?.state === state);
}

/** Completes the link from the bank's answer; returns {ok, message}. */
export async function completeLinkFromCallback(api, params) {
  const pending = readPending();
  sessionStorage.removeItem(PENDING_LINK_KEY);
  const bankName = pending?.bankName || 'your bank';
  try {
    const r = await api.completeLink({ state: params.get('state'), code: params.get('code') || '', error: params.get('error') || '' });
    const link = r?.link || r;
    const status = enumLabel(link?.status || '');
    if (params.get('error') || (status && status.toLowerCase() !== 'active')) {
      return { ok: false, message: `The link with ${link?.bankDisplayName || bankName} was not completed${params.get('error') ? ` (${params.get('error_description') || params.get('error')})` : ''}. Nothing was shared.` };
    }
    const n = Array.isArray(link?.accounts) ? link.accounts.length : null;
    return { ok: true, message: `Linked ${link?.bankDisplayName || bankName}${n !== null ? ` — ${n} account${n === 1 ? '' : 's'}` : ''}.` };
  } catch (e) {
    if (e.notAvailable) return { ok: false, message: 'Linking bank accounts is not available on this server yet.' };
    return { ok: false, message: e.message };
  }
}

function readPending() {
  try {
    return JSON.parse(sessionStorage.getItem(PENDING_LINK_KEY) || 'null');
  } catch {
    return null;
  }
}

/**
 * Where the person is sent to approve at their bank: an https page, or plain http on this computer only (the
 * development sandbox bank). A bank that answers anything else (a misconfigured or compromised connector) does not
 * get the person's browser, who expects their bank's sign-in page next.
 */
export function isSafeBankPage(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:') return true;
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}
