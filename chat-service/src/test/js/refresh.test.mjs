// What the web client does when a token refresh fails, by the kind of failure (auth.js Auth.refresh).
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';

const ISSUER = 'https://id.example/realms/commerce-chat';
const META = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token` };

class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

let assigned;
let answer;
globalThis.crypto ??= webcrypto;
globalThis.location = { hash: '#/chats/c1', assign: (url) => assigned.push(new URL(url)) };
globalThis.fetch = async () => answer();

const { Auth } = await import('../../main/resources/META-INF/resources/auth.js');

function signedIn() {
  globalThis.sessionStorage = new MemoryStorage();
  sessionStorage.setItem('cc.auth.discovery', JSON.stringify(META));
  sessionStorage.setItem('cc.auth.tokens', JSON.stringify({ accessToken: 'old-access', refreshToken: 'used-refresh', expiresAt: 0 }));
  return new Auth({ issuer: ISSUER, clientId: 'web', redirectUri: 'https://chat.example/', leavingTimeoutMs: 300 });
}

const json = (status, body) => () => ({ ok: status < 300, status, json: async () => body });

beforeEach(() => {
  assigned = [];
});

test('a refreshed token is stored and returned', async () => {
  const auth = signedIn();
  answer = json(200, { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 300 });
  assert.equal(await auth.accessToken(), 'new-access');
  assert.equal(JSON.parse(sessionStorage.getItem('cc.auth.tokens')).refreshToken, 'new-refresh');
});

test('a refresh token refused as already used leads to one silent sign-in back to the same view', async () => {
  const auth = signedIn();
  answer = json(400, { error: 'invalid_grant', error_description: 'Maximum allowed refresh token reuse exceeded' });
  let settled = false;
  const token = auth.accessToken().then((t) => { settled = true; return t; });
  for (let i = 0; i < 100 && !assigned.length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(assigned.length, 1);
  assert.equal(settled, false, 'callers wait for the page that comes back');
  assert.equal(assigned[0].searchParams.get('prompt'), 'none');
  assert.equal(JSON.parse(sessionStorage.getItem('cc.auth.pending')).returnTo, '#/chats/c1');
  assert.equal(JSON.parse(sessionStorage.getItem('cc.auth.pending')).silent, true);
  // a page that is still here after the timeout (the navigation was stopped) is signed out, not left waiting
  assert.equal(await token, null);
  assert.equal(sessionStorage.getItem('cc.auth.tokens'), null);
  // a second refusal within the minute signs the tab out instead of bouncing it again
  const again = signedIn();
  sessionStorage.setItem('cc.auth.silent', String(Date.now()));
  assert.equal(await again.accessToken(), null);
  assert.equal(assigned.length, 1);
  assert.equal(sessionStorage.getItem('cc.auth.tokens'), null);
});

test('a provider that is down for a moment keeps the session', async () => {
  for (const status of [429, 502, 503]) {
    const auth = signedIn();
    answer = json(status, {});
    await assert.rejects(auth.accessToken(), /refused the request/, `status ${status}`);
    assert.equal(JSON.parse(sessionStorage.getItem('cc.auth.tokens')).refreshToken, 'used-refresh', `status ${status}`);
  }
  const auth = signedIn();
  answer = () => { throw new TypeError('Failed to fetch'); };
  await assert.rejects(auth.accessToken(), /cannot be reached/);
  assert.ok(sessionStorage.getItem('cc.auth.tokens'), 'kept while the network is away');
  assert.equal(assigned.length, 0, 'no sign-in round trip for a passing failure');
});

test('any other refusal signs the tab out', async () => {
  const auth = signedIn();
  answer = json(401, { error: 'invalid_client' });
  assert.equal(await auth.accessToken(), null);
  assert.equal(sessionStorage.getItem('cc.auth.tokens'), null);
  assert.equal(assigned.length, 0);
});

test('a silent sign-in the provider answers with login_required ends the session and keeps the view', async () => {
  const auth = signedIn();
  sessionStorage.setItem('cc.auth.pending', JSON.stringify({ state: 's1', returnTo: '#/privacy', silent: true }));
  const error = await auth.completeLogin(new URLSearchParams({ state: 's1', error: 'login_required' })).catch((e) => e);
  assert.equal(error.message, 'Your session has ended. Please sign in again.');
  assert.equal(error.returnTo, '#/privacy');
  assert.equal(sessionStorage.getItem('cc.auth.tokens'), null, 'the spent tokens are gone');
});

test('a page left untouched past the idle time is not refreshed: the provider session is not kept alive for it', async () => {
  globalThis.sessionStorage = new MemoryStorage();
  sessionStorage.setItem('cc.auth.discovery', JSON.stringify(META));
  sessionStorage.setItem('cc.auth.tokens', JSON.stringify({ accessToken: 'old-access', refreshToken: 'fresh', expiresAt: 0 }));
  const auth = new Auth({ issuer: ISSUER, clientId: 'web', redirectUri: 'https://chat.example/', idleTimeoutMs: 50 });
  let asked = 0;
  answer = () => { asked++; return { ok: true, status: 200, json: async () => ({ access_token: 'new-access', expires_in: 300 }) }; };
  assert.equal(auth.idle, false);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(auth.idle, true);
  assert.equal(await auth.accessToken(), null, 'signed out instead');
  assert.equal(asked, 0, 'no refresh was asked for');
  assert.equal(sessionStorage.getItem('cc.auth.tokens'), null);
});

test('a page the person touches is refreshed as before', async () => {
  globalThis.sessionStorage = new MemoryStorage();
  sessionStorage.setItem('cc.auth.discovery', JSON.stringify(META));
  sessionStorage.setItem('cc.auth.tokens', JSON.stringify({ accessToken: 'old-access', refreshToken: 'fresh', expiresAt: 0 }));
  const auth = new Auth({ issuer: ISSUER, clientId: 'web', redirectUri: 'https://chat.example/', idleTimeoutMs: 50 });
  answer = json(200, { access_token: 'new-access', expires_in: 300 });
  await new Promise((r) => setTimeout(r, 80));
  auth.noteActivity();
  assert.equal(auth.idle, false);
  assert.equal(await auth.accessToken(), 'new-access');
});
