// Privacy: every consent with its permissions, purposes, expiry and status; revoke; signed
// receipts (download the JWS, read it decoded); and the access log of every bank-data read.

import { h, clear, notice, errorNotice, confirmDialog, download } from '../dom.js';
import { enumLabel, enumName, longDate, dateTime, isoAttr, permissionLabel, purposeLabel } from '../format.js';
import { list, nextCursor } from '../api.js';
import { decodeJws } from '../jws.js';

export function renderPrivacy(root, { api, announce }) {
  clear(root);
  const consentsBox = h('div', {});
  const logBox = h('div', {});
  root.appendChild(h('section', { class: 'page', 'aria-labelledby': 'privacy-title' },
    h('h1', { id: 'privacy-title' }, 'Privacy'),
    h('p', { class: 'lead' }, 'What you allowed, what was read, and proof of both. Ending access takes effect at once.'),
    h('h2', {}, 'Your consents'), consentsBox,
    h('h2', {}, 'Access log'),
    h('p', { class: 'muted small' }, 'Every time a service asked to read your bank data, allowed or not.'),
    logBox));
  // the links name the accounts a consent covers (a consent holds only the bank's ids for them); without them the
  // ids are shown
  const links = api.links().then((r) => r.items).catch(() => []);
  loadConsents(api, consentsBox, announce, null, links);
  loadAccessLog(api, logBox, null);
}

async function loadConsents(api, box, announce, cursor, links) {
  const status = notice('info', 'Loading consents…');
  box.querySelector('.more')?.remove();
  if (!cursor) clear(box);
  box.appendChild(status);
  try {
    const r = await api.consents(cursor || undefined);
    const linked = await links;
    status.remove();
    const items = list(r, 'consents');
    let ul = box.querySelector('ul.cards');
    if (!ul) box.appendChild(ul = h('ul', { class: 'cards' }));
    if (!items.length && !cursor) box.appendChild(notice('info', 'You have not given any consent yet.'));
    for (const c of items) ul.appendChild(renderConsent(api, c, linked, announce, () => loadConsents(api, box, announce, null, links)));
    const next = nextCursor(r);
    if (next) box.appendChild(h('button', { type: 'button', class: 'button secondary small more', onclick: () => loadConsents(api, box, announce, next, links) }, 'More consents'));
  } catch (e) {
    status.replaceWith(errorNotice(e, 'The consent list'));
  }
}

/**
 * The accounts a consent covers, as the person knows them: by name (and masked number) from the link made with it
 * while that link holds them, else the bank's ids the consent keeps; a consent without ids covers the accounts the
 * person chooses at the bank (before authorisation), and every account of its link after.
 */
export function consentAccounts(c, links) {
  const link = links.find((l) => l.consentId === c.id);
  const named = (link?.accounts || []).map((a) => [a.displayName || 'Account', a.maskedNumber].filter(Boolean).join(' · '));
  if (named.length) return named.join(', ');
  if ((c.accountIds || []).length) return `Accounts at the bank: ${c.accountIds.join(', ')}`;
  return enumName(c.status) === 'AWAITING_AUTHORISATION' ? 'The accounts you choose at your bank' : 'Every account of this link';
}

/** How far back (and up to when) transactions may be read under a consent. */
export function transactionWindow(c) {
  const from = c.transactionFrom ? longDate(c.transactionFrom) : '';
  const to = c.transactionTo ? longDate(c.transactionTo) : '';
  if (from && to) return `From ${from} to ${to}`;
  if (from) return `From ${from} on`;
  if (to) return `Up to ${to}`;
  return 'No date limit';
}

function renderConsent(api, c, links, announce, refresh) {
  const status = enumLabel(c.status);
  const active = status.toLowerCase() === 'authorised';
  const receiptBox = h('div', { class: 'receipt-box' });
  const out = h('p', { role: 'status' });
  const ended = ['revoked', 'expired', 'rejected'].includes(status.toLowerCase());
  return h('li', { class: 'card-item' },
    h('h3', {}, c.bankDisplayName || c.bankName || c.bankId),
    h('p', {}, h('span', { class: `pill ${active ? 'ok' : 'ended'}` }, status || 'Unknown'),
      c.expiresAt ? ` · ${ended ? 'was valid until' : 'until'} ${longDate(c.expiresAt)}` : '',
      c.endedBy && enumLabel(c.endedBy) && enumName(c.endedBy) !== 'UNSPECIFIED' ? ` · ended by ${enumLabel(c.endedBy).toLowerCase()}` : ''),
    h('dl', { class: 'facts' },
      h('dt', {}, 'May read'), h('dd', {}, (c.permissions || []).map(permissionLabel).join(', ') || '—'),
      h('dt', {}, 'For'), h('dd', {}, (c.purposes || []).map(purposeLabel).join(', ') || '—'),
      h('dt', {}, 'Accounts'), h('dd', {}, consentAccounts(c, links)),
      (c.permissions || []).some((p) => enumName(p) === 'TRANSACTIONS')
        ? [h('dt', {}, 'Transactions'), h('dd', {}, transactionWindow(c))] : null,
      h('dt', {}, 'Given'), h('dd', {}, h('time', { datetime: isoAttr(c.createdAt) }, dateTime(c.createdAt))),
      c.statusReason ? [h('dt', {}, 'Note'), h('dd', {}, c.statusReason)] : null),
    h('div', { class: 'actions' },
      active ? h('button', { type: 'button', class: 'button small danger', onclick: async () => {
        const ok = await confirmDialog({ title: `End access for ${c.bankDisplayName || c.bankId}?`,
          body: 'Commerce Chat will stop reading this bank data immediately, and account cards made from it will be removed from your chats. This cannot be undone; you can link again later.',
          confirmLabel: 'End access', danger: true });
        if (!ok) return;
        try {
          await api.revokeConsent(c.id);
          announce('Access ended.');
          refresh();
        } catch (e) {
          out.textContent = e.notAvailable ? 'Revoking is not available on this server yet.' : e.message;
        }
      } }, 'End access') : null,
      ' ',
      status.toLowerCase() === 'authorised' || status.toLowerCase() === 'revoked' || status.toLowerCase() === 'expired'
        ? h('button', { type: 'button', class: 'button small secondary', onclick: () => showReceipt(api, c, 'AUTHORISATION', receiptBox) }, 'Consent receipt') : null,
      ' ',
      status.toLowerCase() === 'revoked'
        ? h('button', { type: 'button', class: 'button small secondary', onclick: () => showReceipt(api, c, 'REVOCATION', receiptBox) }, 'Revocation receipt') : null),
    out, receiptBox);
}

async function showReceipt(api, consent, kind, box) {
  clear(box).appendChild(notice('info', 'Loading receipt…'));
  try {
    const r = await api.receipt(consent.id, kind);
    const jws = typeof r === 'string' ? r : r?.jws;
    if (!jws) throw new Error('The server returned no receipt.');
    let decoded = null;
    try {
      decoded = decodeJws(jws);
    } catch {
      decoded = null;
    }
    clear(box).append(
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button small', onclick: () => download(`consent-${consent.id}-${kind.toLowerCase()}.jwt`, jws) },
          'Download signed receipt (.jwt)')),
      h('details', { class: 'decoded' },
        h('summary', {}, 'What the receipt says'),
        r?.keyId ? h('p', { class: 'small' }, 'Signed with key ', h('code', {}, r.keyId), r.issuedAt ? ` on ${dateTime(r.issuedAt)}` : '') : null,
        decoded ? [h('h4', {}, 'Header'), h('pre', {}, JSON.stringify(decoded.header, null, 2)),
          h('h4', {}, 'Contents'), h('pre', {}, JSON.stringify(decoded.payload, null, 2))]
          : notice('error', 'This receipt could not be decoded.')));
  } catch (e) {
    clear(box).appendChild(errorNotice(e, 'Receipts'));
  }
}

async function loadAccessLog(api, box, cursor) {
  const status = notice('info', 'Loading access log…');
  box.querySelector('.more')?.remove();
  if (!cursor) clear(box);
  box.appendChild(status);
  try {
    const r = await api.accessLog(cursor || undefined);
    status.remove();
    const items = list(r, 'records').length ? list(r, 'records') : list(r, 'entries');
    let tbody = box.querySelector('tbody');
    if (!tbody) {
      tbody = h('tbody');
      box.appendChild(h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Access log' },
        h('table', { class: 'log-table' },
          h('thead', {}, h('tr', {}, ['When', 'Bank', 'Service', 'Data', 'Purpose', 'Decision'].map((t) => h('th', { scope: 'col' }, t)))),
          tbody)));
    }
    if (!items.length && !cursor) box.appendChild(notice('info', 'Nothing has been read yet.'));
    for (const a of items) {
      const allowed = enumLabel(a.decision).toLowerCase() === 'allow';
      tbody.appendChild(h('tr', {},
        h('td', {}, h('time', { datetime: isoAttr(a.occurredAt) }, dateTime(a.occurredAt))),
        h('td', {}, a.bankDisplayName || a.bankId || ''),
        h('td', {}, a.service || ''),
        h('td', {}, permissionLabel(a.permission)),
        h('td', {}, purposeLabel(a.purpose)),
        h('td', {}, h('span', { class: `pill ${allowed ? 'ok' : 'ended'}` }, allowed ? 'Allowed' : 'Denied'),
          a.reason && !allowed ? h('span', { class: 'muted small' }, ` ${a.reason}`) : null)));
    }
    const next = nextCursor(r);
    if (next) box.appendChild(h('button', { type: 'button', class: 'button secondary small more', onclick: () => loadAccessLog(api, box, next) }, 'Older entries'));
  } catch (e) {
    status.replaceWith(errorNotice(e, 'The access log'));
  }
}
