// Commerce Chat web client: sign-in, routing, the live event stream, and the views.

import { Auth, AuthError } from './auth.js';
import { Api } from './api.js';
import { EventStream } from './sse.js';
import { h, clear, notice } from './dom.js';
import { ChatView } from './views/chat.js';
import { renderAccounts } from './views/accounts.js';
import { renderPrivacy } from './views/privacy.js';
import { renderLinkForm, isLinkCallback, completeLinkFromCallback } from './views/link.js';

const DEFAULT_CONFIG = { issuer: 'http://127.0.0.1:8180/realms/commerce-chat', clientId: 'web', idleMinutes: 15 };

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const banner = document.getElementById('banner');
const live = document.getElementById('announcer');
const connection = document.getElementById('connection');

let auth;
let api;
let chat;
let stream;
let linkResult = null;

function announce(text) {
  live.textContent = '';
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function loadConfig() {
  try {
    const r = await fetch('/config.json', { cache: 'no-store' });
    if (r.ok) return { ...DEFAULT_CONFIG, ...(await r.json()) };
  } catch {
    // the defaults serve a local ./mesh
  }
  return DEFAULT_CONFIG;
}

/** Replaces `?code=&state=...` with a clean URL so a reload does not replay the answer. */
function cleanUrl(hash) {
  history.replaceState(null, '', `/${hash || ''}`);
}

function showSignIn(message) {
  nav.hidden = true;
  clear(view).appendChild(h('section', { class: 'page sign-in', 'aria-labelledby': 'signin-title' },
    h('img', { src: 'favicon.svg', alt: '', width: '64', height: '64' }),
    h('h1', { id: 'signin-title' }, 'Commerce Chat'),
    h('p', { class: 'lead' }, 'Chat with your bank and the shops you buy from. Link an account to see balances in chat — you decide what is shared, and can end it at any time.'),
    message ? notice('error', message) : null,
    h('button', { type: 'button', class: 'button large', onclick: (e) => {
      e.target.disabled = true;
      auth.login({ returnTo: location.hash }).catch((err) => showSignIn(err.message));
    } }, 'Sign in'),
    h('p', { class: 'muted small' }, 'You sign in at the Commerce Chat sign-in service; your password never passes through this app.')));
  view.querySelector('button')?.focus();
}

function sessionEnded() {
  if (banner.dataset.kind === 'session') return;
  banner.dataset.kind = 'session';
  stream?.stop();
  clear(banner).append(notice('error', 'Your session has ended. ',
    h('button', { type: 'button', class: 'link-button', onclick: () => auth.login({ returnTo: location.hash }) }, 'Sign in again')));
  banner.hidden = false;
}

function setConnection(status, detail) {
  const labels = { connecting: 'Connecting…', open: 'Live', waiting: detail || 'Offline', closed: 'Offline' };
  connection.textContent = labels[status] || status;
  connection.className = `connection ${status}`;
}

function startEvents() {
  const { subject } = auth.profile();
  const key = `cc.events.${subject}`;
  let saveTimer = null;
  localStorage.removeItem(key);  // where versions before 2026-12-06 kept it, beyond the tab
  stream = new EventStream({
    // without a stored position the stream begins at the inbox's end (a "ready" event), not with the whole history
    url: '/v1/events?after=now',
    getToken: () => auth.accessToken(),
    // this tab's (a reload resumes), not the browser's: nothing of the person outlives the tab on a shared computer
    lastEventId: sessionStorage.getItem(key) || '',
    onEvent: (evt) => chat.handleEvent(evt),
    onPosition: (id) => {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(() => sessionStorage.setItem(key, id), 200);
    },
    onPositionRejected: () => {
      clearTimeout(saveTimer);
      sessionStorage.removeItem(key);
    },
    onStatus: setConnection,
    onUnauthorized: sessionEnded,
  });
  stream.start();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      stream.kick();
      chat.markReadSoon();
    }
  });
  window.addEventListener('online', () => stream.kick());
}

function route() {
  const hash = location.hash || '#/chats';
  const [path, queryString] = hash.slice(1).split('?');
  const query = new URLSearchParams(queryString || '');
  const parts = path.split('/').filter(Boolean);
  for (const a of nav.querySelectorAll('a[data-section]')) {
    if (a.dataset.section === (parts[0] || 'chats')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (parts[0] !== 'chats') chat.unmount();
  switch (parts[0]) {
    case 'accounts': {
      const result = linkResult;
      linkResult = null;
      renderAccounts(view, { api, banner: result });
      document.title = 'Accounts · Commerce Chat';
      break;
    }
    case 'link':
      renderLinkForm(view, { api, query });
      document.title = 'Link account · Commerce Chat';
      break;
    case 'privacy':
      renderPrivacy(view, { api, announce });
      document.title = 'Privacy · Commerce Chat';
      break;
    default:
      chat.mount(view, { conversationId: parts[1] || null });
      document.title = 'Chats · Commerce Chat';
      if (parts[1]) view.querySelector('#composer-input')?.focus({ preventScroll: true });
      break;
  }
  if (parts[0] && parts[0] !== 'chats') {
    // Move focus to the new page's heading so keyboard and screen-reader users land on it.
    const heading = view.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
}

async function main() {
  const config = await loadConfig();
  auth = new Auth({ issuer: config.issuer, clientId: config.clientId, redirectUri: `${location.origin}/`,
    idleTimeoutMs: (Number(config.idleMinutes) || 15) * 60000 });
  const params = new URLSearchParams(location.search);
  let carry = null;
  if (auth.isCallback(params)) {
    try {
      const done = await auth.completeLogin(params);
      carry = done.carry;
      cleanUrl(done.returnTo);
    } catch (e) {
      // the view the person was on, so that signing in again returns there
      cleanUrl(e.returnTo || '');
      showSignIn(e instanceof AuthError ? e.message : 'Sign-in did not complete. Please try again.');
      return;
    }
  } else if (isLinkCallback(params)) {
    // The bank sent the browser back. Complete the link once signed in.
    carry = location.search;
    if (!auth.signedIn) {
      await auth.login({ returnTo: '#/accounts', carry }).catch((e) => showSignIn(e.message));
      return;
    }
    cleanUrl('#/accounts');
  } else if (params.has('state') && (params.has('code') || params.has('error'))) {
    // an answer this tab did not ask for (a sign-in, or a link started in another tab): sent nowhere, and taken out
    // of the address bar
    cleanUrl(location.hash);
    clear(banner).append(notice('info', 'This page was opened with an answer from a bank or the sign-in service that '
      + 'this tab did not ask for, so it was ignored. If you were linking a bank, start again from Accounts. ',
    h('button', { type: 'button', class: 'link-button', onclick: () => {
      banner.hidden = true;
      clear(banner);
    } }, 'Dismiss')));
    banner.hidden = false;
  }
  if (!auth.signedIn) {
    showSignIn(null);
    return;
  }

  api = new Api({ getToken: () => auth.accessToken(), onUnauthorized: sessionEnded });
  chat = new ChatView({ api, announce, navigate, subject: auth.profile().subject });
  const me = auth.profile();
  nav.hidden = false;
  document.getElementById('who').textContent = me.name;
  document.getElementById('sign-out').addEventListener('click', signOut);
  if (carry) {
    clear(view).appendChild(notice('info', 'Finishing the link with your bank…'));
    auth.carry = carry;  // a silent sign-in meanwhile brings the bank's answer back to be completed
    linkResult = await completeLinkFromCallback(api, new URLSearchParams(carry));
    auth.carry = null;
    announce(linkResult.message);
    if (location.hash !== '#/accounts') history.replaceState(null, '', '/#/accounts');
  }
  window.addEventListener('hashchange', route);
  route();
  startEvents();
  signOutWhenIdle();
}

/**
 * Signs the person out, here and at the provider, once the page has gone untouched for the configured time
 * (/config.json idleMinutes): a tab left open on a shared computer would otherwise show chats and bank data, and
 * keep the session, for as long as it stays open.
 */
function signOutWhenIdle() {
  for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart', 'focus']) {
    window.addEventListener(type, () => auth.noteActivity(), { capture: true, passive: true });
  }
  const check = setInterval(() => {
    if (!auth.idle) return;
    clearInterval(check);
    signOut();
  }, 30000);
}

/**
 * Stops the stream, forgets what this tab holds of the person (the page's chats and balances too, not only the
 * tokens: the provider's sign-out page may be slow or unreachable) and signs out here and at the provider.
 */
function signOut() {
  stream?.stop();
  chat.forgetOutbox();
  clear(view);
  clear(banner);
  document.getElementById('who').textContent = '';
  nav.hidden = true;
  auth.logout();
}

// A page the browser kept (back-forward cache) is loaded again instead of shown as it was: after a sign-out it must
// not show the person's chats and balances on Back.
window.addEventListener('pageshow', (e) => {
  if (e.persisted) location.reload();
});

main().catch((e) => {
  clear(view).appendChild(notice('error', `Commerce Chat could not start: ${e.message}`));
});
