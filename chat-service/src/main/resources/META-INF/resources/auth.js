// Sign-in with the OIDC provider: authorization code + PKCE (S256), public client, WebCrypto.
// The browser talks to the provider directly; no password ever reaches the mesh. Tokens live in
// memory and in sessionStorage (this tab only) so a reload or a bank redirect keeps the session.

const TOKENS_KEY = 'cc.auth.tokens';
const PENDING_KEY = 'cc.auth.pending';
const DISCOVERY_KEY = 'cc.auth.discovery';
const SILENT_KEY = 'cc.auth.silent';
const REFRESH_MARGIN_MS = 30000;
// At most one silent sign-in a minute: a provider that keeps refusing refreshes must not bounce the tab forever.
const SILENT_INTERVAL_MS = 60000;

/** RFC 4648 base64url without padding. */
export function base64UrlEncode(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i++) binary += String.fromCharCode(view[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64UrlDecodeToString(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** A random base64url string from `byteCount` random bytes (32 bytes -> 43 characters). */
export function randomToken(cryptoImpl, byteCount = 32) {
  const bytes = new Uint8Array(byteCount);
  cryptoImpl.getRandomValues(bytes);
  return base64UrlEncode(bytes);
}

/** RFC 7636 S256: BASE64URL(SHA-256(ASCII(code_verifier))). */
export async function pkceChallenge(verifier, cryptoImpl = globalThis.crypto) {
  const digest = await cryptoImpl.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}

/** A fresh verifier (43 characters of the unreserved set) and its S256 challenge. */
export async function createPkcePair(cryptoImpl = globalThis.crypto) {
  const verifier = randomToken(cryptoImpl, 32);
  return { verifier, challenge: await pkceChallenge(verifier, cryptoImpl), method: 'S256' };
}

/** The claims of a JWT (no signature check: only for display and expiry hints). */
export function decodeJwtPayload(jwt) {
  const parts = String(jwt || '').split('.');
  if (parts.length < 2) return null;
  try {
    return JSON.parse(base64UrlDecodeToString(parts[1]));
  } catch {
    return null;
  }
}

export class AuthError extends Error {}

/** The provider refused the grant itself (invalid_grant: e.g. a refresh token already used), not a failure. */
class RefusedGrantError extends AuthError {}

/** The provider could not be reached or could not answer now (network, 429, 5xx): worth trying again later. */
class ProviderUnavailableError extends AuthError {}

/** Errors of a prompt=none answer that mean "the provider's own session has ended" (OIDC Core 3.1.2.6). */
const SESSION_ENDED_ERRORS = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);

/** One signed-in session against one OIDC issuer. */
export class Auth {
  /**
   * leavingTimeoutMs: how long a page that began a silent sign-in waits to be gone before it signs out; idleTimeoutMs:
   * how long the person may leave the page untouched (noteActivity) before its tokens are no longer refreshed.
   */
  constructor({ issuer, clientId, redirectUri, scope = 'openid profile', leavingTimeoutMs = 15000, idleTimeoutMs = 15 * 60000 }) {
    this.leavingTimeoutMs = leavingTimeoutMs;
    this.idleTimeoutMs = idleTimeoutMs;
    this.lastActivity = Date.now();
    this.issuer = issuer.replace(/\/+$/, '');
    this.clientId = clientId;
    this.redirectUri = redirectUri;
    this.scope = scope;
    this.tokens = readJson(TOKENS_KEY);
    this.refreshing = null;
    /** The silent sign-in the page is leaving for, if any. */
    this.leaving = null;
    /** What a silent sign-in must bring back besides the view: a bank's answer being completed (app.js). */
    this.carry = null;
    this.listeners = new Set();
  }

  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async discovery() {
    if (this.meta) return this.meta;
    const cached = readJson(DISCOVERY_KEY);
    if (cached && cached.issuer === this.issuer) {
      this.meta = cached;
      return cached;
    }
    let response;
    try {
      response = await fetch(`${this.issuer}/.well-known/openid-configuration`);
    } catch {
      throw new AuthError(`The sign-in service at ${this.issuer} cannot be reached. Is it running?`);
    }
    if (!response.ok) throw new AuthError(`The sign-in service answered ${response.status} for its configuration.`);
    const meta = await response.json();
    if (meta.issuer !== this.issuer) throw new AuthError('The sign-in service names a different issuer than configured.');
    this.meta = meta;
    sessionStorage.setItem(DISCOVERY_KEY, JSON.stringify(meta));
    return meta;
  }

  /** True when this page load is the provider's answer to our own sign-in request. */
  isCallback(params) {
    const pending = readJson(PENDING_KEY);
    return Boolean(pending && params.get('state') && params.get('state') === pending.state);
  }

  /**
   * Redirects to the provider. `returnTo` (a hash route) and `carry` survive the round trip. `silent` asks the
   * provider not to show any page (OIDC prompt=none): it answers at once, with a code while its own session
   * lasts, else with login_required.
   */
  async login({ returnTo = location.hash, carry = null, silent = false } = {}) {
    const meta = await this.discovery();
    const { verifier, challenge } = await createPkcePair(crypto);
    const state = randomToken(crypto, 16);
    const nonce = randomToken(crypto, 16);
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo, carry, silent }));
    const url = new URL(meta.authorization_endpoint);
    const query = {
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: this.redirectUri,
      scope: this.scope,
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    if (silent) query.prompt = 'none';
    url.search = new URLSearchParams(query).toString();
    location.assign(url.toString());
  }

  /** Finishes sign-in from `?code=&state=` (or `?error=`); returns {returnTo, carry}. */
  async completeLogin(params) {
    const pending = readJson(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    if (!pending || params.get('state') !== pending.state) throw new AuthError('This sign-in answer was not requested by this tab.');
    if (params.get('error')) {
      this.clear();
      const error = new AuthError(pending.silent && SESSION_ENDED_ERRORS.has(params.get('error'))
        ? 'Your session has ended. Please sign in again.'
        : params.get('error_description') || `Sign-in did not complete (${params.get('error')}).`);
      error.returnTo = pending.returnTo || '';
      throw error;
    }
    const meta = await this.discovery();
    const tokens = await this.tokenRequest(meta, {
      grant_type: 'authorization_code',
      code: params.get('code') || '',
      redirect_uri: this.redirectUri,
      client_id: this.clientId,
      code_verifier: pending.verifier,
    });
    const idClaims = decodeJwtPayload(tokens.id_token);
    if (tokens.id_token && (!idClaims || idClaims.nonce !== pending.nonce)) {
      throw new AuthError('The sign-in answer does not match this request (nonce). Please sign in again.');
    }
    this.store(tokens);
    return { returnTo: pending.returnTo || '', carry: pending.carry || null };
  }

  async tokenRequest(meta, form) {
    let response;
    try {
      response = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    } catch {
      throw new ProviderUnavailableError('The sign-in service cannot be reached.');
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = body.error_description || `The sign-in service refused the request (${response.status}).`;
      if (response.status === 429 || response.status >= 500) throw new ProviderUnavailableError(message);
      throw response.status === 400 && body.error === 'invalid_grant' ? new RefusedGrantError(message) : new AuthError(message);
    }
    return body;
  }

  store(tokens) {
    const now = Date.now();
    this.tokens = {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token || this.tokens?.refreshToken || null,
      idToken: tokens.id_token || this.tokens?.idToken || null,
      expiresAt: now + (Number(tokens.expires_in) || 300) * 1000,
      refreshExpiresAt: tokens.refresh_expires_in ? now + Number(tokens.refresh_expires_in) * 1000 : null,
    };
    sessionStorage.setItem(TOKENS_KEY, JSON.stringify(this.tokens));
    this.listeners.forEach((l) => l(this.tokens));
  }

  clear() {
    this.tokens = null;
    sessionStorage.removeItem(TOKENS_KEY);
    this.listeners.forEach((l) => l(null));
  }

  get signedIn() {
    return Boolean(this.tokens?.accessToken);
  }

  /** The person's display name from the access token. */
  profile() {
    const claims = decodeJwtPayload(this.tokens?.accessToken) || {};
    return { subject: claims.sub, name: claims.name || claims.preferred_username || 'you', groups: claims.groups || [] };
  }

  /**
   * A valid access token, refreshed when close to expiry; null when a new sign-in is needed. Rejects with
   * ProviderUnavailableError when the provider cannot refresh it now.
   */
  async accessToken() {
    if (!this.tokens) return null;
    if (Date.now() < this.tokens.expiresAt - REFRESH_MARGIN_MS) return this.tokens.accessToken;
    return this.refresh();
  }

  /** The person touched the page (a key, the pointer, focus). */
  noteActivity() {
    this.lastActivity = Date.now();
  }

  /** Whether the page has gone untouched longer than idleTimeoutMs: it is then to be signed out (app.js). */
  get idle() {
    return Date.now() - this.lastActivity > this.idleTimeoutMs;
  }

  /**
   * Refreshes once even when many callers ask at the same time. Not for a page left untouched: the refresh would keep
   * the provider's session alive for whoever comes to the screen next (its event stream reconnects every few minutes).
   */
  async refresh() {
    if (this.leaving) return this.leaving;
    if (this.idle) {
      this.clear();
      return null;
    }
    if (!this.tokens?.refreshToken) {
      this.clear();
      return null;
    }
    if (this.tokens.refreshExpiresAt && Date.now() > this.tokens.refreshExpiresAt) {
      this.clear();
      return null;
    }
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const meta = await this.discovery();
          const tokens = await this.tokenRequest(meta, {
            grant_type: 'refresh_token',
            refresh_token: this.tokens.refreshToken,
            client_id: this.clientId,
          });
          this.store(tokens);
          return this.tokens.accessToken;
        } catch (e) {
          // A refused refresh token has most often been used already: by a duplicate of this tab, which took a
          // copy of its session storage, or by a refresh this tab sent just before a reload. Each refresh token is
          // good for one refresh (the realm's revokeRefreshToken), so of two tabs holding one the second to refresh is
          // refused. While the provider's own session lasts, a silent sign-in gets this tab tokens of its own
          // without showing a page.
          if (e instanceof RefusedGrantError) {
            this.leaving = this.silentLogin();
            if (this.leaving) return this.leaving;
          }
          // a provider that is down for a moment does not end the session: the tokens stay, and the caller's
          // request fails as one that may be tried again
          if (e instanceof ProviderUnavailableError) throw e;
          this.clear();
          return null;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  /**
   * Starts a silent sign-in unless one began in the last minute, else null. Its promise stays pending while the
   * page leaves for the provider (callers wait for the page that comes back), and gives null if it cannot start.
   */
  silentLogin() {
    const last = Number(sessionStorage.getItem(SILENT_KEY)) || 0;
    if (Date.now() - last < SILENT_INTERVAL_MS) return null;
    sessionStorage.setItem(SILENT_KEY, String(Date.now()));
    const stay = () => {
      this.leaving = null;
      this.clear();
      return null;
    };
    // if the page is still here after a while (the navigation was stopped, or the page came back from the
    // browser's back-forward cache), the tab is signed out instead of waiting for ever
    return this.login({ returnTo: location.hash, carry: this.carry, silent: true })
      .then(() => new Promise((resolve) => setTimeout(() => resolve(stay()), this.leavingTimeoutMs)), stay);
  }

  /** Forgets the tokens here and ends the provider session (RP-initiated logout). */
  async logout() {
    const idToken = this.tokens?.idToken;
    this.clear();
    let meta = null;
    try {
      meta = await this.discovery();
    } catch {
      meta = null;
    }
    if (meta?.end_session_endpoint) {
      const url = new URL(meta.end_session_endpoint);
      const params = { client_id: this.clientId, post_logout_redirect_uri: this.redirectUri };
      if (idToken) params.id_token_hint = idToken;
      url.search = new URLSearchParams(params).toString();
      location.assign(url.toString());
    } else {
      location.assign(this.redirectUri);
    }
  }
}

function readJson(key) {
  try {
    const text = sessionStorage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
