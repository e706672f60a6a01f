// The chat-service REST API (the BFF) with the person's bearer token. Failures become ApiError
// carrying the RFC 9457 problem's `detail`, which is what the person is shown.

const PROBLEM_BASE = 'https://commercechat.example/problems/';

export class ApiError extends Error {
  constructor({ status, title, detail, type, errors }) {
    super(detail || title || `The request failed (${status}).`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = type;
    this.errors = errors;
  }

  /**
   * The server does not offer this at all (an older server behind the same page): the UI shows "not available"
   * instead of an error. A problem "not-found" is not that: it names a conversation, link or consent that is not
   * there (any more), and its detail says so.
   */
  get notAvailable() {
    if (this.type) return this.type === `${PROBLEM_BASE}method-not-allowed` || this.status === 501;
    return this.status === 404 || this.status === 405 || this.status === 501;
  }

  /** Safe to repeat with the same idempotency key. */
  get retryable() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export class Api {
  /** getToken: async () => access token or null; onUnauthorized: called when a new sign-in is needed. */
  constructor({ getToken, onUnauthorized, base = '' }) {
    this.getToken = getToken;
    this.onUnauthorized = onUnauthorized;
    this.base = base;
  }

  async request(method, path, { body, query, accept = 'application/json', raw = false } = {}) {
    const url = new URL(this.base + path, location.origin);
    if (query) {
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
      }
    }
    let token;
    try {
      token = await this.getToken();
    } catch {
      // the sign-in service could not refresh the token now (auth.js keeps it): a failure worth retrying
      throw new ApiError({ status: 0, detail: 'The sign-in service cannot be reached. Check your connection and try again.' });
    }
    if (!token) {
      this.onUnauthorized?.();
      throw new ApiError({ status: 401, detail: 'Please sign in again.' });
    }
    const headers = { Accept: `${accept}, application/problem+json`, Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError({ status: 0, detail: 'Commerce Chat cannot be reached. Check your connection and try again.' });
    }
    if (!response.ok) {
      const problem = await readProblem(response);
      if (response.status === 401) this.onUnauthorized?.();
      throw new ApiError(problem);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  get(path, query) {
    return this.request('GET', path, { query });
  }

  post(path, body = {}) {
    return this.request('POST', path, { body });
  }

  put(path, body) {
    return this.request('PUT', path, { body });
  }

  del(path) {
    return this.request('DELETE', path);
  }

  /**
   * A list read page after page (`limit` a page) where the view needs all of it, stopping after `maxPages` pages: a
   * bound, so that a list that has grown beyond reason (or a server that keeps answering with a cursor) is not read
   * for ever. {items, nextCursor}: nextCursor is where it stopped (null when it read the list to its end), for a
   * "show more" that goes on from there.
   */
  async allPages(path, field, { query = {}, cursor, limit = 100, maxPages = 10 } = {}) {
    const items = [];
    let next = cursor || null;
    for (let page = 0; page < maxPages; page++) {
      const r = await this.get(path, { ...query, cursor: next || undefined, limit });
      items.push(...list(r, field));
      next = nextCursor(r);
      if (!next) break;
    }
    return { items, nextCursor: next };
  }

  // Chat
  // The directory is paged (100 a page); the chat view offers all of it, up to 1,000 businesses.
  async businesses() {
    return (await this.allPages('/v1/businesses', 'businesses')).items;
  }

  openConversation(businessId) {
    return this.post('/v1/conversations', { businessId });
  }

  conversations(cursor) {
    return this.get('/v1/conversations', { cursor, limit: 30 });
  }

  conversation(id) {
    return this.get(`/v1/conversations/${enc(id)}`);
  }

  /** {messages, hasMore}; `before` pages are newest first, `after` pages oldest first. */
  messages(id, { before, after, limit = 50 } = {}) {
    return this.get(`/v1/conversations/${enc(id)}/messages`, { before, after, limit });
  }

  /** payload: the chosen quick reply's or button's, whose label is the text (none for typed text). */
  sendText(id, clientMessageId, text, payload) {
    return this.post(`/v1/conversations/${enc(id)}/messages`, payload ? { clientMessageId, text, payload } : { clientMessageId, text });
  }

  markRead(id, seq) {
    return this.post(`/v1/conversations/${enc(id)}/read`, { seq });
  }

  typing(id, typing) {
    return this.put(`/v1/conversations/${enc(id)}/typing`, { typing });
  }

  block(id, blocked) {
    return blocked ? this.put(`/v1/conversations/${enc(id)}/block`) : this.del(`/v1/conversations/${enc(id)}/block`);
  }

  shareCard(conversationId, messageId) {
    return this.post(`/v1/conversations/${enc(conversationId)}/messages/${enc(messageId)}/share`);
  }

  // Banks, links, accounts
  // The server pages these (banks 50, links and accounts 20 by default); the views need them whole: the link form
  // every bank, the Accounts page every active link (links come newest first, failed and ended ones included, so
  // an active link can lie many pages down) and every account.

  /** Every bank a person can link (up to 1,000). */
  async banks() {
    return (await this.allPages('/v1/banks', 'banks')).items;
  }

  beginLink({ bankId, permissions, purposes, validDays, redirectUri }) {
    return this.post('/v1/links', { bankId, permissions, purposes, validDays, redirectUri });
  }

  completeLink({ state, code, error }) {
    return this.post('/v1/links/complete', { state, code, error });
  }

  /** {items, nextCursor}: the person's links, newest first, up to 2,000 from `cursor` on. */
  links(cursor) {
    return this.allPages('/v1/links', 'links', { cursor, maxPages: 20 });
  }

  unlink(id) {
    return this.del(`/v1/links/${enc(id)}`);
  }

  /** {items, nextCursor}: the accounts of the person's active links, up to 1,000 from `cursor` on. */
  accounts(cursor) {
    return this.allPages('/v1/accounts', 'accounts', { cursor });
  }

  balances(accountId) {
    return this.get(`/v1/accounts/${enc(accountId)}/balances`);
  }

  transactions(accountId, cursor) {
    return this.get(`/v1/accounts/${enc(accountId)}/transactions`, { cursor });
  }

  // Privacy
  consents(cursor) {
    return this.get('/v1/consents', { cursor });
  }

  consent(id) {
    return this.get(`/v1/consents/${enc(id)}`);
  }

  receipt(id, kind) {
    return this.get(`/v1/consents/${enc(id)}/receipt`, kind ? { kind } : undefined);
  }

  revokeConsent(id) {
    return this.post(`/v1/consents/${enc(id)}/revoke`, {});
  }

  accessLog(cursor) {
    return this.get('/v1/access-log', { cursor, limit: 20 });
  }
}

/** Lists arrive wrapped ({banks: [...]}) or bare ([...]); both are accepted. */
export function list(response, field) {
  if (Array.isArray(response)) return response;
  return (response && Array.isArray(response[field]) ? response[field] : []);
}

/** The cursor for the next page, whatever the server calls it. */
export function nextCursor(response) {
  return response?.nextCursor || response?.nextPageToken || response?.next_page_token || null;
}

function enc(s) {
  return encodeURIComponent(String(s));
}

async function readProblem(response) {
  const text = await response.text().catch(() => '');
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === 'object') {
    return {
      status: response.status,
      title: body.title,
      detail: body.detail || body.title || body.message,
      type: body.type,
      errors: body.errors,
    };
  }
  return { status: response.status, detail: `The request failed (${response.status} ${response.statusText}).` };
}
