// Display helpers for times and enum names.

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayTime = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const date = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

export function parseTime(value) {
  if (!value) return null;
  if (typeof value === 'object' && 'seconds' in value) return new Date(Number(value.seconds) * 1000);
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "14:05" today, "3 Mar, 14:05" otherwise. */
export function shortTime(value) {
  const d = parseTime(value);
  if (!d) return '';
  const now = new Date();
  return d.toDateString() === now.toDateString() ? time.format(d) : dayTime.format(d);
}

export function longDate(value) {
  const d = parseTime(value);
  return d ? date.format(d) : '';
}

export function dateTime(value) {
  const d = parseTime(value);
  return d ? dayTime.format(d) : '';
}

export function isoAttr(value) {
  const d = parseTime(value);
  return d ? d.toISOString() : '';
}

const PREFIXES = ['PERMISSION_', 'PURPOSE_', 'CONSENT_STATUS_', 'LINK_STATUS_', 'ACCOUNT_TYPE_', 'BALANCE_TYPE_',
  'TRANSACTION_STATUS_', 'ACCESS_DECISION_', 'ACTOR_', 'RECEIPT_KIND_'];

/** The enum's short name: PERMISSION_BALANCES -> BALANCES. */
export function enumName(value) {
  const s = String(value ?? '');
  const prefix = PREFIXES.find((p) => s.startsWith(p));
  return prefix ? s.slice(prefix.length) : s;
}

/** PERMISSION_ACCOUNTS_BASIC -> "Accounts basic". */
export function enumLabel(value) {
  const s = enumName(value).toLowerCase().replace(/_/g, ' ');
  return s ? s[0].toUpperCase() + s.slice(1) : '';
}

export const PERMISSIONS = [
  { value: 'ACCOUNTS_BASIC', label: 'Account names and types' },
  { value: 'ACCOUNTS_DETAIL', label: 'Account details (masked numbers)' },
  { value: 'BALANCES', label: 'Balances' },
  { value: 'TRANSACTIONS', label: 'Transactions' },
];

export const PURPOSES = [
  { value: 'ACCOUNT_OVERVIEW', label: 'Account overview in chat' },
  { value: 'CUSTOMER_SERVICE', label: 'Help from the bank in chat' },
  { value: 'SPENDING_INSIGHTS', label: 'Spending insights' },
];

/**
 * How far back a new link lets transactions be read. account-link-service gives every consent it creates
 * transaction_from = the start of the day `accounts.transactions-max-history` (P365D) ago; the link form is shown
 * before that consent exists, so this is where the web client says so (and only here: the Privacy page shows each
 * consent's own window, read from the consent).
 */
export const TRANSACTION_HISTORY = 'from the last 12 months';

export function permissionLabel(value) {
  const name = enumName(value);
  return PERMISSIONS.find((p) => p.value === name)?.label || enumLabel(value);
}

export function purposeLabel(value) {
  const name = enumName(value);
  return PURPOSES.find((p) => p.value === name)?.label || enumLabel(value);
}
