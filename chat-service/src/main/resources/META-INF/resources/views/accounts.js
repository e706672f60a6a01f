// Linked banks, their accounts, balances and recent transactions. Bank data is fetched live each
// time (the mesh does not store it) and is never written to storage here.

import { h, clear, notice, errorNotice, confirmDialog } from '../dom.js';
import { formatMoney } from '../money.js';
import { enumLabel, longDate, dateTime, isoAttr, permissionLabel, purposeLabel } from '../format.js';
import { list, nextCursor } from '../api.js';

export async function renderAccounts(root, { api, banner }) {
  clear(root);
  const section = h('section', { class: 'page', 'aria-labelledby': 'accounts-title' },
    h('div', { class: 'page-header' },
      h('h1', { id: 'accounts-title' }, 'Accounts'),
      h('a', { href: '#/link', class: 'button' }, 'Link account')));
  root.appendChild(section);
  if (banner) section.appendChild(notice(banner.ok ? 'success' : 'error', banner.message));

  const linksBox = h('div', {}, notice('info', 'Loading linked banks…'));
  const accountsBox = h('div', {}, notice('info', 'Loading accounts…'));
  section.append(h('h2', {}, 'Linked banks'), linksBox, h('h2', {}, 'Your accounts'), accountsBox);

  const refresh = () => renderAccounts(root, { api });
  showLinks(api, linksBox, refresh);
  showAccounts(api, accountsBox);
}

/** Active (and still pending) links are the ones a person looks for here; ended ones and failed attempts are history. */
function isCurrent(link) {
  return ['active', 'pending'].includes(enumLabel(link.status).toLowerCase());
}

/**
 * The person's links: the current ones, each active one with its Unlink, then the ended links and failed attempts,
 * folded away. The list holds every link ever started, newest first, so it is read whole (api.links, up to 2,000;
 * "Show older links" goes on from there): an active link must not hide behind newer failed attempts at another bank.
 */
async function showLinks(api, box, refresh) {
  let read;
  try {
    read = await api.links();
  } catch (e) {
    clear(box).appendChild(errorNotice(e, 'The list of linked banks'));
    return;
  }
  clear(box);
  const current = h('ul', { class: 'cards' });
  const past = h('ul', { class: 'cards' });
  const none = notice('info', '');
  const summary = h('summary', {});
  const history = h('details', { class: 'past-links' }, summary, past);
  let cursor = null;
  const show = ({ items, nextCursor: next }) => {
    for (const l of items) (isCurrent(l) ? current : past).appendChild(renderLink(api, l, refresh));
    none.textContent = past.children.length ? 'No bank is linked now. Choose “Link account” to link one.'
      : 'No bank is linked yet. Choose “Link account” to add one.';
    none.hidden = current.children.length > 0;
    current.hidden = !current.children.length;
    summary.textContent = `Ended links and unfinished attempts (${past.children.length})`;
    history.hidden = !past.children.length;
    cursor = next;
    more.hidden = !cursor;
  };
  const more = h('button', { type: 'button', class: 'button secondary small more', onclick: () => showMore(more, () => api.links(cursor), show, 'The list of linked banks') }, 'Show older links');
  box.append(none, current, history, more);
  show(read);
}

/** Every account of the active links (up to 1,000; "More accounts" goes on from there). */
async function showAccounts(api, box) {
  let read;
  try {
    read = await api.accounts();
  } catch (e) {
    clear(box).appendChild(errorNotice(e, 'The account list'));
    return;
  }
  clear(box);
  if (!read.items.length && !read.nextCursor) {
    box.appendChild(notice('info', 'No accounts to show.'));
    return;
  }
  const ul = h('ul', { class: 'cards' });
  let cursor = null;
  const show = ({ items, nextCursor: next }) => {
    for (const a of items) ul.appendChild(renderAccount(api, a));
    cursor = next;
    more.hidden = !cursor;
  };
  const more = h('button', { type: 'button', class: 'button secondary small more', onclick: () => showMore(more, () => api.accounts(cursor), show, 'The account list') }, 'More accounts');
  box.append(ul, more);
  show(read);
}

/** A "show more" button's click: the next pages are read and shown; a failure is said where the button was. */
async function showMore(button, read, show, what) {
  button.disabled = true;
  button.failure?.remove();
  try {
    show(await read());
  } catch (e) {
    button.failure = errorNotice(e, what);
    button.after(button.failure);
  } finally {
    button.disabled = false;
  }
}

function renderLink(api, link, refresh) {
  const status = enumLabel(link.status);
  const active = status.toLowerCase() === 'active';
  const out = h('p', { role: 'status' });
  return h('li', { class: 'card-item' },
    h('h3', {}, link.bankDisplayName || link.bankId),
    h('p', {}, h('span', { class: `pill ${active ? 'ok' : 'ended'}` }, status || 'Unknown'),
      link.expiresAt ? ` · until ${longDate(link.expiresAt)}` : ''),
    link.statusReason ? h('p', { class: 'muted small' }, link.statusReason) : null,
    (link.permissions || []).length ? h('p', { class: 'small' }, 'Reads: ', link.permissions.map(permissionLabel).join(', ')) : null,
    (link.purposes || []).length ? h('p', { class: 'small' }, 'For: ', link.purposes.map(purposeLabel).join(', ')) : null,
    active ? h('button', { type: 'button', class: 'button small danger', onclick: async () => {
      const ok = await confirmDialog({ title: `Unlink ${link.bankDisplayName || link.bankId}?`,
        body: 'Commerce Chat will stop reading from this bank at once, and account cards made from it will be removed.',
        confirmLabel: 'Unlink', danger: true });
      if (!ok) return;
      try {
        await api.unlink(link.id);
        refresh();
      } catch (e) {
        out.textContent = e.notAvailable ? 'Unlinking is not available on this server yet.' : e.message;
      }
    } }, 'Unlink') : null,
    out);
}

function renderAccount(api, account) {
  const balances = h('div', { class: 'balances' });
  const txBox = h('div', { class: 'transactions' });
  let cursor = null;
  const loadBalances = async () => {
    clear(balances).appendChild(notice('info', 'Asking your bank…'));
    try {
      const r = await api.balances(account.id);
      clear(balances);
      const items = list(r, 'balances');
      if (!items.length) balances.appendChild(notice('info', 'Your bank reported no balances.'));
      balances.appendChild(h('dl', { class: 'balance-list' }, items.map((b) => [
        h('dt', {}, enumLabel(b.type) || 'Balance'),
        h('dd', {}, safeMoney(b.amount), b.asOf ? h('span', { class: 'muted small' }, ` · ${dateTime(b.asOf)}`) : null)])));
    } catch (e) {
      clear(balances).appendChild(errorNotice(e, 'Balances'));
    }
  };
  const loadTransactions = async (more) => {
    const status = notice('info', 'Asking your bank…');
    if (!more) clear(txBox);
    txBox.querySelector('.more')?.remove();
    txBox.appendChild(status);
    try {
      const r = await api.transactions(account.id, more ? cursor : undefined);
      status.remove();
      cursor = nextCursor(r);
      const items = list(r, 'transactions');
      let table = txBox.querySelector('tbody');
      if (!table) {
        table = h('tbody');
        txBox.appendChild(h('table', { class: 'tx-table' },
          h('caption', { class: 'visually-hidden' }, `Transactions of ${account.displayName || 'this account'}`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Date'), h('th', { scope: 'col' }, 'Description'),
            h('th', { scope: 'col', class: 'num' }, 'Amount'))), table));
      }
      if (!items.length && !more) txBox.appendChild(notice('info', 'No transactions in this period.'));
      for (const t of items) {
        table.appendChild(h('tr', {},
          h('td', {}, h('time', { datetime: isoAttr(t.bookedAt) }, longDate(t.bookedAt))),
          h('td', {}, t.merchantName || t.description || '', enumLabel(t.status).toLowerCase() === 'pending' ? h('span', { class: 'pill' }, 'Pending') : null),
          h('td', { class: `num ${isNegative(t.amount) ? 'debit' : 'credit'}` }, safeMoney(t.amount))));
      }
      if (cursor) txBox.appendChild(h('button', { type: 'button', class: 'button secondary small more', onclick: () => loadTransactions(true) }, 'More transactions'));
    } catch (e) {
      status.replaceWith(errorNotice(e, 'Transactions'));
    }
  };
  return h('li', { class: 'card-item' },
    h('h3', {}, account.displayName || 'Account'),
    h('p', { class: 'muted' }, [enumLabel(account.type), account.maskedNumber, account.currency].filter(Boolean).join(' · ')),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button small secondary', onclick: loadBalances }, 'Show balances'),
      ' ',
      h('button', { type: 'button', class: 'button small secondary', onclick: () => loadTransactions(false) }, 'Recent transactions')),
    h('div', { 'aria-live': 'polite' }, balances, txBox));
}

function isNegative(m) {
  return String(m?.units ?? '').startsWith('-') || Number(m?.nanos) < 0;
}

function safeMoney(m) {
  try {
    return formatMoney(m);
  } catch {
    return '—';
  }
}
