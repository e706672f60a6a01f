// Conversations and threads: list with unread badges, bubbles with ticks, structured messages,
// typing indicators, idempotent sends with retry, and live updates from the event stream.

import { h, clear, keepingFocus, notice, errorNotice, confirmDialog } from '../dom.js';
import { formatMoney, multiplyMoney } from '../money.js';
import { shortTime, dateTime, isoAttr } from '../format.js';
import { nextCursor } from '../api.js';

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOW_MS = 6000;
const SEND_RETRIES = 3;
const OUTBOX_PREFIX = 'cc.outbox.';
/** chat-service counts unread messages up to this many (Conversation.UNREAD_SHOWN_AT_MOST): that many means at least. */
const UNREAD_SHOWN_AT_MOST = 1000;
/** A consent that could not be read is asked again after this long (until then its cards offer no sharing). */
const CONSENT_RETRY_MS = 60000;

export class ChatView {
  /** subject: the signed-in person's, whose unsent messages and drafts this tab keeps (see restoreOutbox). */
  constructor({ api, announce, navigate, subject }) {
    this.api = api;
    this.outboxKey = OUTBOX_PREFIX + subject;
    this.drafts = {};
    this.announce = announce;
    this.navigate = navigate;
    this.conversations = new Map();
    this.conversationFetches = new Set();  // ids being fetched because an event named them
    this.listCursor = null;
    this.listGeneration = 0;
    this.listLoaded = false;
    this.listError = null;
    this.threads = new Map();
    this.cardConsents = new Map();  // consent id -> {consent, asking, retryAt}: whether its cards may be shared
    this.activeId = null;
    this.root = null;
    this.picking = false;
    this.typingState = { sentAt: 0, idleTimer: null, active: false };
    this.restoreOutbox();
  }

  // ---- outbox: what the person wrote and the server has not confirmed ---------------------

  /**
   * Unsent messages and composer drafts live in this tab's session storage too, under the person's subject, so that
   * a reload or a sign-in round trip (auth.js: a silent sign-in leaves the page) loses none of them. Messages are
   * sent again with their clientMessageId, so one that had reached the server before the page left is kept once.
   */
  restoreOutbox() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(this.outboxKey) || 'null');
    } catch {
      saved = null;
    }
    if (!saved) return;
    this.drafts = saved.drafts || {};
    for (const [id, messages] of Object.entries(saved.pending || {})) {
      const t = this.thread(id);
      for (const p of messages) t.pending.set(p.clientMessageId, { ...p, state: 'sending', error: null });
      // one after another, in the order they were written
      (async () => {
        for (const p of messages) await this.deliver(id, p.clientMessageId);
      })();
    }
  }

  /** On signing out: nothing the person wrote stays in the tab. */
  forgetOutbox() {
    this.drafts = {};
    for (const t of this.threads.values()) t.pending.clear();
    sessionStorage.removeItem(this.outboxKey);
  }

  saveOutbox() {
    const pending = {};
    for (const [id, t] of this.threads) {
      if (t.pending.size) pending[id] = [...t.pending.values()].map(({ clientMessageId, text, payload, at }) => ({ clientMessageId, text, payload, at }));
    }
    try {
      if (!Object.keys(pending).length && !Object.keys(this.drafts).length) sessionStorage.removeItem(this.outboxKey);
      else sessionStorage.setItem(this.outboxKey, JSON.stringify({ pending, drafts: this.drafts }));
    } catch {
      // storage full or disabled: the outbox then lasts as long as the page
    }
  }

  // ---- state ---------------------------------------------------------------------------

  thread(id) {
    let t = this.threads.get(id);
    if (!t) {
      t = { messages: new Map(), pending: new Map(), hasOlder: false, loaded: false, loading: false, reread: false, redacted: new Map(), error: null,
        typingUntil: 0, typingTimer: null, readPosted: 0 };
      this.threads.set(id, t);
    }
    return t;
  }

  sortedConversations() {
    return [...this.conversations.values()].sort((a, b) => (Date.parse(b.lastMessageAt || 0) || 0)
      - (Date.parse(a.lastMessageAt || 0) || 0));
  }

  async loadList(more = false) {
    // of two reads of the first page in flight (mount, then "ready"), only the later one's answer counts
    const generation = more ? this.listGeneration : ++this.listGeneration;
    try {
      const page = await this.api.conversations(more ? this.listCursor : undefined);
      if (!more && generation !== this.listGeneration) return;
      for (const c of page.conversations || []) this.conversations.set(c.id, mergeRead(this.conversations.get(c.id), c));
      this.listCursor = nextCursor(page);
      this.listLoaded = true;
      this.listError = null;
    } catch (e) {
      this.listError = e;
    }
    this.renderList();
  }

  async loadThread(id) {
    const t = this.thread(id);
    if (t.loading) return;
    t.loading = true;
    try {
      if (!this.conversations.has(id)) this.conversations.set(id, await this.api.conversation(id));
      const page = await this.api.messages(id, { limit: 50 });
      for (const m of page.messages || []) putRead(t, m);
      t.hasOlder = Boolean(page.hasMore);
      t.loaded = true;
      t.error = null;
    } catch (e) {
      t.error = e;
    } finally {
      t.loading = false;
    }
    if (t.reread) {  // the stream began at a position this read may predate
      t.reread = false;
      this.loadThread(id);
      return;
    }
    // a message that arrived while the page was read may lie beyond a gap the page does not cover
    if (t.loaded && lastContiguous(t) < newestSeq(t)) this.fillGap(id);
    if (this.activeId === id) {
      this.renderThread({ toBottom: true });
      this.renderHeader();
      this.markReadSoon();
    }
    this.renderList();
  }

  /** "Try again" after the thread could not be read: read again, keeping what the stream brought meanwhile. */
  retryThread(id) {
    const t = this.thread(id);
    t.error = null;
    if (this.activeId === id) this.renderThread();
    this.loadThread(id);
  }

  async loadOlder(id) {
    const t = this.thread(id);
    const oldest = Math.min(...t.messages.keys());
    const list = this.root?.querySelector('.messages');
    const before = list ? list.scrollHeight - list.scrollTop : 0;
    try {
      const page = await this.api.messages(id, { before: oldest, limit: 50 });
      for (const m of page.messages || []) putRead(t, m);
      t.hasOlder = Boolean(page.hasMore);
    } catch (e) {
      this.announce(e.message);
    }
    this.renderThread({ keepScrollFromBottom: before });
  }

  /**
   * Fetches the messages missed after the last one we hold without a gap (an event can arrive before the ones
   * before it were read). Before, it read after the newest held, which the event had just become.
   */
  async fillGap(id) {
    const t = this.thread(id);
    if (!t.loaded || t.filling) return;
    t.filling = true;
    try {
      for (;;) {
        const after = lastContiguous(t);
        const page = await this.api.messages(id, { after, limit: 100 });
        for (const m of page.messages || []) putRead(t, m);
        if (!page.hasMore || !(page.messages || []).length || lastContiguous(t) === after) break;
      }
    } catch {
      // the next event or a reopen tries again
    } finally {
      t.filling = false;
    }
    if (this.activeId === id) this.renderThread();
  }

  // ---- live events -----------------------------------------------------------------------

  handleEvent(evt) {
    let payload;
    try {
      payload = JSON.parse(evt.data);
    } catch {
      return;
    }
    switch (evt.event) {
      case 'message':
        this.onMessage(payload);
        break;
      case 'read':
        this.onRead(payload);
        break;
      case 'typing':
        this.onTyping(payload);
        break;
      case 'redacted':
        this.onRedacted(payload);
        break;
      case 'conversation':
        this.onConversation(payload);
        break;
      case 'ready':
        this.resync();
        break;
      default:
        break;
    }
  }

  onMessage(m) {
    const id = m.conversationId;
    if (!id) return;
    const t = this.thread(id);
    const known = t.messages.has(m.seq);
    // kept while the thread's first page is being read too (the page may have been read before this message), and
    // after that read failed, for the next one ("Try again") to build on
    if (t.loaded || t.loading || t.error) t.messages.set(m.seq, m);
    if (t.loaded && lastContiguous(t) < newestSeq(t)) this.fillGap(id);
    if (m.clientMessageId && t.pending.delete(m.clientMessageId)) this.saveOutbox();
    const c = this.conversations.get(id);
    // announced when new to this view: not the replay of history a fresh browser's stream starts with (before the
    // list has loaded, or at or below a conversation's last seq)
    const fresh = !known && m.sender !== 'PERSON' && (c ? m.seq > (c.lastSeq || 0) : this.listLoaded);
    if (!c) {
      this.fetchConversation(id);
    } else if (m.seq > (c.lastSeq || 0)) {
      c.lastSeq = m.seq;
      c.lastMessage = m;
      c.lastMessageAt = m.sentAt;
      if (m.sender === 'PERSON') {
        // sent here or on another device: the send moved the person's watermark to it (no read event says so)
        c.readSeq = Math.max(c.readSeq || 0, m.seq);
        c.unreadCount = 0;
      } else if (!(this.activeId === id && this.visible())) {
        c.unreadCount = (c.unreadCount || 0) + 1;
      }
      if (m.sender === 'BUSINESS' || m.sender === 'ASSISTANT') {
        t.typingUntil = 0;  // their reply ends their typing
        clearTimeout(t.typingTimer);
      }
    }
    if (fresh) {
      const who = m.automated ? `${c?.businessName || 'Business'} automated assistant` : c?.businessName || 'New message';
      this.announce(`${who}: ${preview(m)}`);
    }
    this.renderList();
    if (this.activeId === id) {
      this.renderThread();
      this.renderTyping();
      this.markReadSoon();
    }
  }

  /** One request for a conversation this view does not know yet, however many of its events arrive meanwhile. */
  fetchConversation(id) {
    if (this.conversationFetches.has(id)) return;
    this.conversationFetches.add(id);
    this.api.conversation(id).then((conv) => {
      this.conversations.set(id, conv);
      this.renderList();
    }).catch(() => {}).finally(() => this.conversationFetches.delete(id));
  }

  onRead(r) {
    const c = this.conversations.get(r.conversationId);
    if (!c) return;
    if (r.reader === 'PERSON' || r.reader === 'SENDER_KIND_PERSON') {
      c.readSeq = Math.max(c.readSeq || 0, r.readSeq);
      c.unreadCount = unreadAfter(c, c.unreadCount);
      this.renderList();
    } else {
      c.businessReadSeq = Math.max(c.businessReadSeq || 0, r.readSeq);
      if (this.activeId === r.conversationId) this.renderThread();
    }
  }

  onTyping(e) {
    if (e.who === 'PERSON' || e.who === 'SENDER_KIND_PERSON') return;
    const t = this.thread(e.conversationId);
    const until = e.expiresAt ? Math.min(Date.parse(e.expiresAt), Date.now() + 30000) : Date.now() + TYPING_SHOW_MS;
    t.typingUntil = e.typing ? until : 0;
    clearTimeout(t.typingTimer);
    if (e.typing) t.typingTimer = setTimeout(() => this.renderTyping(), Math.max(0, t.typingUntil - Date.now()) + 50);
    this.renderTyping();
  }

  onRedacted(r) {
    const id = r.conversationId;
    const t = this.thread(id);
    const replacement = r.content ? r : null;
    t.redacted.set(r.seq, r);
    for (const [seq, m] of t.messages) {
      if (m.id === (r.messageId || r.id) || seq === r.seq) t.messages.set(seq, redact(m, r));
    }
    const c = this.conversations.get(id);
    if (c?.lastMessage && (c.lastMessage.id === (r.messageId || r.id))) {
      c.lastMessage = replacement ? { ...c.lastMessage, ...replacement } : { ...c.lastMessage, content: r.replacement };
    }
    this.renderList();
    if (this.activeId === id) this.renderThread();
  }

  onConversation(c) {
    if (!c?.id) return;
    this.conversations.set(c.id, { ...this.conversations.get(c.id), ...c });
    this.renderList();
    if (this.activeId === c.id) this.renderHeader();
  }

  /**
   * The stream began at the inbox's end ("ready": this device had no stored position, so the history was not
   * replayed, or its stored position was beyond the inbox's end, e.g. after the service's data was restored). What
   * the view holds or is reading may be older than that position: it is read again, and everything after the
   * position comes on the stream.
   */
  resync() {
    if (this.listLoaded || this.root) this.loadList();
    for (const [id, t] of this.threads) {
      if (t.loading) t.reread = true;
      else if (id === this.activeId) this.loadThread(id);
      else t.loaded = false;  // read again when opened
    }
  }

  visible() {
    return document.visibilityState === 'visible';
  }

  markReadSoon() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.markRead(), 300);
  }

  async markRead() {
    const id = this.activeId;
    if (!id || !this.visible()) return;
    const t = this.thread(id);
    const c = this.conversations.get(id);
    const newest = Math.max(0, ...t.messages.keys());
    if (!c || newest === 0 || newest <= Math.max(c.readSeq || 0, t.readPosted)) {
      if (c && c.unreadCount) {
        c.unreadCount = 0;
        this.renderList();
      }
      return;
    }
    t.readPosted = newest;
    try {
      const r = await this.api.markRead(id, newest);
      c.readSeq = Math.max(c.readSeq || 0, r?.readSeq ?? newest);
      c.unreadCount = 0;
      this.renderList();
    } catch {
      t.readPosted = 0;
    }
  }

  // ---- sending ---------------------------------------------------------------------------

  /** payload: a quick reply's or button's, sent with its label as the text, so the person's words are what they saw. */
  async send(id, text, payload) {
    const body = text.trim();
    if (!body) return;
    const clientMessageId = crypto.randomUUID();
    const t = this.thread(id);
    t.pending.set(clientMessageId, { clientMessageId, text: body, payload, state: 'sending', at: new Date().toISOString() });
    this.saveOutbox();
    this.renderThread({ toBottom: true });
    this.stopTyping(id);
    await this.deliver(id, clientMessageId);
  }

  /** Sends (or re-sends with the same clientMessageId, so the server keeps one copy). */
  async deliver(id, clientMessageId) {
    const t = this.thread(id);
    const p = t.pending.get(clientMessageId);
    if (!p) return;
    p.state = 'sending';
    p.error = null;
    this.renderThread();
    for (let attempt = 0; ; attempt++) {
      try {
        const m = await this.api.sendText(id, clientMessageId, p.text, p.payload);
        t.pending.delete(clientMessageId);
        this.saveOutbox();
        this.onMessage(m);
        return;
      } catch (e) {
        if (!e.retryable || attempt >= SEND_RETRIES - 1) {
          p.state = 'failed';
          p.error = e.message;
          this.announce(`Not sent: ${e.message}`);
          this.renderThread();
          return;
        }
        await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
      }
    }
  }

  /** A message that was not sent, dropped by the person (it would otherwise be sent again by the next page). */
  discard(id, clientMessageId) {
    this.thread(id).pending.delete(clientMessageId);
    this.saveOutbox();
    this.renderThread();
  }

  composing(id) {
    const s = this.typingState;
    clearTimeout(s.idleTimer);
    s.idleTimer = setTimeout(() => this.stopTyping(id), TYPING_IDLE_MS);
    if (Date.now() - s.sentAt > TYPING_SEND_EVERY_MS) {
      s.sentAt = Date.now();
      s.active = true;
      this.api.typing(id, true).catch(() => {});
    }
  }

  stopTyping(id) {
    const s = this.typingState;
    clearTimeout(s.idleTimer);
    if (s.active) {
      s.active = false;
      s.sentAt = 0;
      this.api.typing(id, false).catch(() => {});
    }
  }

  // ---- rendering -------------------------------------------------------------------------

  /** route: {conversationId?} */
  mount(root, route) {
    const previous = this.activeId;
    if (previous && previous !== route.conversationId) this.stopTyping(previous);
    this.root = root;
    this.activeId = route.conversationId || null;
    clear(root);
    const layout = h('div', { class: `chat-layout ${this.activeId ? 'show-thread' : 'show-list'}` },
      h('section', { class: 'pane list-pane', 'aria-labelledby': 'chats-title' },
        h('div', { class: 'pane-header' },
          h('h1', { id: 'chats-title' }, 'Chats'),
          h('button', { class: 'button small', type: 'button', 'aria-expanded': String(this.picking),
            onclick: () => this.togglePicker() }, 'New chat')),
        h('div', { class: 'picker' }),
        h('div', { class: 'conversation-list', tabindex: '-1' })),
      h('section', { class: 'pane thread-pane', 'aria-label': 'Conversation' }));
    root.appendChild(layout);
    this.renderPicker();
    if (!this.listLoaded) this.loadList();
    else this.renderList();
    if (this.activeId) {
      const t = this.thread(this.activeId);
      this.renderThread({ toBottom: true });
      if (!t.loaded) this.loadThread(this.activeId);
      else {
        this.fillGap(this.activeId);
        this.markReadSoon();
      }
    } else {
      this.renderEmptyThread();
    }
  }

  unmount() {
    if (this.activeId) this.stopTyping(this.activeId);
    this.activeId = null;
    this.root = null;
  }

  togglePicker() {
    this.picking = !this.picking;
    this.root?.querySelector('.list-pane .pane-header button')?.setAttribute('aria-expanded', String(this.picking));
    this.renderPicker();
  }

  async renderPicker() {
    const el = this.root?.querySelector('.picker');
    if (!el) return;
    clear(el);
    if (!this.picking) return;
    el.appendChild(notice('info', 'Loading businesses…'));
    try {
      const businesses = await this.api.businesses();
      clear(el);
      el.appendChild(h('h2', { class: 'picker-title' }, 'Start a chat with'));
      el.appendChild(h('ul', { class: 'business-list' }, businesses.map((b) => h('li', {},
        h('button', { type: 'button', class: 'business', onclick: () => this.openWith(b) },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(b.displayName)),
          h('span', {}, b.displayName, ' ', h('span', { class: 'tag' }, b.kind === 'BANK' ? 'Bank' : 'Shop')))))));
      if (!businesses.length) el.appendChild(notice('info', 'No businesses are available yet.'));
    } catch (e) {
      clear(el);
      el.appendChild(errorNotice(e, 'The business directory'));
    }
  }

  async openWith(business) {
    try {
      const c = await this.api.openConversation(business.id);
      // answered as the list shows it, but perhaps read before a stream event this view has taken since
      this.conversations.set(c.id, mergeRead(this.conversations.get(c.id), c));
      this.picking = false;
      this.navigate(`#/chats/${c.id}`);
    } catch (e) {
      this.announce(e.message);
      const el = this.root?.querySelector('.picker');
      el?.prepend(errorNotice(e, 'Starting a chat'));
    }
  }

  renderList() {
    const el = this.root?.querySelector('.conversation-list');
    if (el) keepingFocus(el, () => this.fillList(el));
  }

  fillList(el) {
    clear(el);
    if (this.listError && !this.conversations.size) {
      el.appendChild(errorNotice(this.listError, 'The conversation list'));
      el.appendChild(h('button', { type: 'button', class: 'button secondary', 'data-key': 'list:retry', onclick: () => this.loadList() }, 'Try again'));
      return;
    }
    if (!this.listLoaded) {
      el.appendChild(notice('info', 'Loading conversations…'));
      return;
    }
    const items = this.sortedConversations();
    if (!items.length) {
      el.appendChild(notice('info', 'No conversations yet. Choose “New chat” to talk to your bank or a shop.'));
      return;
    }
    el.appendChild(h('ul', { class: 'conversations' }, items.map((c) => {
      const unread = Number(c.unreadCount || 0);
      const current = c.id === this.activeId;
      return h('li', {},
        h('a', { href: `#/chats/${c.id}`, class: `conversation${current ? ' current' : ''}${unread ? ' unread' : ''}`,
          'aria-current': current ? 'page' : null, 'data-key': `conversation:${c.id}` },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(c.businessName)),
          h('span', { class: 'conversation-main' },
            h('span', { class: 'conversation-top' },
              h('span', { class: 'conversation-name' }, c.businessName || c.businessId),
              h('time', { datetime: isoAttr(c.lastMessageAt), class: 'conversation-time' }, shortTime(c.lastMessageAt))),
            h('span', { class: 'conversation-preview' },
              c.blocked ? 'Blocked · ' : '',
              c.lastMessage ? `${c.lastMessage.sender === 'PERSON' ? 'You: ' : ''}${preview(c.lastMessage)}` : 'No messages yet')),
          unread ? h('span', { class: 'badge', 'aria-label': `${unread >= UNREAD_SHOWN_AT_MOST ? `${UNREAD_SHOWN_AT_MOST} or more` : unread} unread` },
            unread > 99 ? '99+' : String(unread)) : null));
    })));
    if (this.listCursor) {
      el.appendChild(h('button', { type: 'button', class: 'button secondary more', 'data-key': 'list:older', onclick: () => this.loadList(true) }, 'Show older conversations'));
    }
  }

  renderEmptyThread() {
    const pane = this.root?.querySelector('.thread-pane');
    if (!pane) return;
    clear(pane);
    pane.appendChild(h('div', { class: 'empty-thread' }, h('p', {}, 'Choose a conversation, or start a new chat.')));
  }

  renderHeader() {
    const header = this.root?.querySelector('.thread-header');
    const c = this.conversations.get(this.activeId);
    if (!header) return;
    keepingFocus(header, () => this.fillHeader(header, c));
    this.renderTyping();
  }

  fillHeader(header, c) {
    clear(header);
    header.append(
      h('a', { href: '#/chats', class: 'back', 'aria-label': 'Back to chats', 'data-key': 'header:back' }, '‹'),
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(c?.businessName)),
      h('div', { class: 'thread-title' },
        h('h2', {}, c?.businessName || 'Conversation'),
        h('p', { class: 'typing', 'aria-live': 'polite' })),
      h('div', { class: 'thread-actions' },
        // the assistant's quick replies, one tap away instead of behind a word to know ("Menu", "help")
        c?.businessKind === 'BANK' ? h('button', { type: 'button', class: 'button small secondary', 'data-key': 'header:assistant', onclick: () => this.send(c.id, 'Menu', 'assistant:menu') }, 'Assistant') : null,
        c?.businessKind === 'BANK' ? h('a', { class: 'button small secondary', 'data-key': 'header:link', href: `#/link?bank=${encodeURIComponent(c.businessId)}` }, 'Link account') : null,
        c ? h('button', { type: 'button', class: 'button small secondary', 'data-key': 'header:block', onclick: () => this.toggleBlock(c) }, c.blocked ? 'Unblock' : 'Block') : null));
  }

  async toggleBlock(c) {
    const blocking = !c.blocked;
    if (blocking) {
      const ok = await confirmDialog({ title: `Block ${c.businessName}?`, body: `${c.businessName} will not be able to message you until you unblock them.`,
        confirmLabel: 'Block', danger: true });
      if (!ok) return;
    }
    try {
      const r = await this.api.block(c.id, blocking);
      c.blocked = r?.blocked ?? blocking;
      this.announce(c.blocked ? `${c.businessName} is blocked.` : `${c.businessName} is unblocked.`);
    } catch (e) {
      this.announce(e.message);
    }
    this.renderHeader();
    this.renderThread();
    this.renderList();
  }

  renderTyping() {
    const el = this.root?.querySelector('.thread-header .typing');
    if (!el) return;
    const t = this.thread(this.activeId);
    const c = this.conversations.get(this.activeId);
    el.textContent = t.typingUntil > Date.now() ? `${c?.businessName || 'They'} ${c?.businessName ? 'is' : 'are'} typing…` : '';
  }

  renderThread({ toBottom = false, keepScrollFromBottom = null } = {}) {
    const pane = this.root?.querySelector('.thread-pane');
    if (!pane || !this.activeId) return;
    const id = this.activeId;
    const t = this.thread(id);
    const c = this.conversations.get(id);
    if (!pane.querySelector('.thread')) {
      clear(pane);
      const input = h('textarea', { id: 'composer-input', rows: '1', maxlength: '4000', placeholder: 'Write a message',
        'aria-label': 'Message', autocomplete: 'off' });
      const form = h('form', { class: 'composer', onsubmit: (e) => {
        e.preventDefault();
        const text = input.value;
        input.value = '';
        delete this.drafts[id];
        this.send(id, text);
        input.focus();
      } },
      input,
      h('button', { type: 'submit', class: 'button' }, 'Send'));
      input.value = this.drafts[id] || '';
      input.addEventListener('input', () => {
        if (input.value) this.drafts[id] = input.value;
        else delete this.drafts[id];
        this.saveOutbox();
        if (input.value.trim()) this.composing(id);
      });
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          form.requestSubmit();
        }
      });
      input.addEventListener('blur', () => this.stopTyping(id));
      pane.appendChild(h('div', { class: 'thread' },
        h('header', { class: 'thread-header', tabindex: '-1' }),
        h('div', { class: 'thread-notices' }),
        h('div', { class: 'messages', tabindex: '0', 'aria-label': 'Messages' }),
        form));
      this.renderHeader();
      toBottom = true;
    }
    const notices = pane.querySelector('.thread-notices');
    clear(notices);
    if (c?.blocked) notices.appendChild(notice('info', `You blocked ${c.businessName}. They cannot message you.`));

    const list = pane.querySelector('.messages');
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    keepingFocus(list, () => this.fillMessages(list, id, t, c));
    if (!t.loaded) return;
    if (keepScrollFromBottom !== null) list.scrollTop = list.scrollHeight - keepScrollFromBottom;
    else if (toBottom || nearBottom) list.scrollTop = list.scrollHeight;
  }

  fillMessages(list, id, t, c) {
    clear(list);
    if (t.error && !t.loaded) {
      list.appendChild(errorNotice(t.error, 'This conversation'));
      list.appendChild(h('button', { type: 'button', class: 'button secondary more', 'data-key': 'thread:retry', onclick: () => this.retryThread(id) }, 'Try again'));
      return;
    }
    if (!t.loaded) {
      list.appendChild(notice('info', 'Loading messages…'));
      return;
    }
    if (t.hasOlder) {
      list.appendChild(h('button', { type: 'button', class: 'button secondary more', 'data-key': 'thread:older', onclick: () => this.loadOlder(id) }, 'Load earlier messages'));
    }
    const messages = [...t.messages.values()].sort((a, b) => a.seq - b.seq);
    if (!messages.length && !t.pending.size) list.appendChild(notice('info', 'Say hello — your first message starts the conversation.'));
    const lastSeq = messages.length ? messages[messages.length - 1].seq : 0;
    const ul = h('ol', { class: 'bubbles' });
    let lastDay = '';
    for (const m of messages) {
      const day = new Date(m.sentAt).toDateString();
      if (day !== lastDay) {
        lastDay = day;
        ul.appendChild(h('li', { class: 'day' }, new Date(m.sentAt).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })));
      }
      ul.appendChild(this.renderMessage(m, c, m.seq === lastSeq));
    }
    for (const p of t.pending.values()) ul.appendChild(this.renderPending(id, p));
    list.appendChild(ul);
  }

  renderPending(id, p) {
    return h('li', { class: 'bubble-row mine' },
      h('div', { class: `bubble ${p.state === 'failed' ? 'failed' : 'sending'}` },
        h('p', { class: 'text' }, p.text),
        h('div', { class: 'meta' },
          p.state === 'failed'
            ? [h('span', { class: 'error-text' }, `Not sent: ${p.error}`), ' ',
              h('button', { type: 'button', class: 'link-button', 'data-key': `pending:${p.clientMessageId}:retry`, onclick: () => this.deliver(id, p.clientMessageId) }, 'Retry'), ' ',
              h('button', { type: 'button', class: 'link-button', 'data-key': `pending:${p.clientMessageId}:discard`, onclick: () => this.discard(id, p.clientMessageId) }, 'Discard')]
            : h('span', { class: 'tick' }, 'Sending…'))));
  }

  renderMessage(m, c, isLast) {
    const mine = m.sender === 'PERSON';
    const content = m.content || {};
    const body = [];
    if (m.automated || m.sender === 'ASSISTANT') body.push(h('p', { class: 'automated' }, 'Automated assistant'));
    if (content.text) body.push(h('p', { class: 'text' }, content.text.body));
    if (content.quickReplies) body.push(this.renderQuickReplies(m, content.quickReplies, isLast));
    if (content.buttons) body.push(this.renderButtons(m, content.buttons));
    if (content.receipt) body.push(renderReceipt(content.receipt));
    if (content.accountCard) body.push(this.renderAccountCard(m, content.accountCard, c));
    if (content.notice) body.push(h('p', { class: 'notice-text' }, content.notice.text));
    if (!body.length) body.push(h('p', { class: 'text muted' }, 'This message cannot be shown here.'));
    const read = mine && c && m.seq <= (c.businessReadSeq || 0);
    const meta = h('div', { class: 'meta' },
      h('time', { datetime: isoAttr(m.sentAt), title: dateTime(m.sentAt) }, shortTime(m.sentAt)),
      mine ? h('span', { class: `tick${read ? ' read' : ''}`, 'aria-label': read ? 'Read' : 'Delivered', title: read ? 'Read' : 'Delivered' },
        read ? '✓✓' : '✓') : null);
    const kind = content.notice ? 'system' : mine ? 'mine' : 'theirs';
    return h('li', { class: `bubble-row ${kind}`, dataset: { seq: String(m.seq) } },
      h('div', { class: `bubble${m.automated ? ' assistant' : ''}${content.receipt || content.accountCard ? ' card' : ''}` },
        h('span', { class: 'visually-hidden' }, mine ? 'You said: ' : `${c?.businessName || 'Business'} said: `),
        body, meta));
  }

  renderQuickReplies(m, qr, isLast) {
    return h('div', {},
      qr.body ? h('p', { class: 'text' }, qr.body) : null,
      h('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Quick replies' },
        (qr.options || []).map((o, i) => h('button', { type: 'button', class: 'chip', disabled: !isLast, 'data-key': `reply:${m.seq}:${i}`,
          onclick: () => this.send(m.conversationId, o.label, o.payload) }, o.label))));
  }

  renderButtons(m, b) {
    return h('div', {},
      b.body ? h('p', { class: 'text' }, b.body) : null,
      h('div', { class: 'message-buttons' }, (b.buttons || []).map((btn, i) => {
        const key = `button:${m.seq}:${i}`;
        if (btn.url && /^https:\/\//i.test(btn.url)) {
          return h('a', { class: 'button secondary small', href: btn.url, target: '_blank', rel: 'noopener noreferrer', 'data-key': key }, btn.label, ' ↗');
        }
        // the assistant's links into this app (e.g. "#/link?bank=…", "#/privacy")
        if (btn.url && /^#\/[a-z]/.test(btn.url)) {
          return h('a', { class: 'button secondary small', href: btn.url, 'data-key': key }, btn.label);
        }
        if (btn.postbackPayload) {
          return h('button', { type: 'button', class: 'button secondary small', 'data-key': key, onclick: () => this.send(m.conversationId, btn.label, btn.postbackPayload) }, btn.label);
        }
        return h('span', { class: 'button secondary small disabled' }, btn.label);
      })));
  }

  /**
   * Whether the person may share a card read under this consent, as chat-service decides it (see allowsSharing): null
   * while not known. Each consent is read once; its answer draws the thread again.
   */
  sharingAllowed(consentId) {
    if (!consentId) return false;  // a card of no consent is shown to nobody else
    let known = this.cardConsents.get(consentId);
    if (known && (known.consent || known.asking || Date.now() < known.retryAt)) {
      return known.consent ? allowsSharing(known.consent) : null;
    }
    known = { consent: null, asking: true, retryAt: 0 };
    this.cardConsents.set(consentId, known);
    Promise.resolve().then(() => this.api.consent(consentId)).then((consent) => {
      known.consent = consent ?? {};  // an empty answer is no consent to share under, and is not asked for again
    }).catch((e) => {
      if (e?.status === 404) known.consent = {};  // no such consent of the person's: nothing to share under
      else known.retryAt = Date.now() + CONSENT_RETRY_MS;
    }).finally(() => {
      known.asking = false;
      this.renderThread();
    });
    return null;
  }

  renderAccountCard(m, card, c) {
    // offered only where the share would be allowed: a consent without "help from the bank in chat" gets a refusal
    const shareable = m.personOnly && c?.businessKind === 'BANK' && this.sharingAllowed(m.consentId) === true;
    const status = h('p', { class: 'card-status', role: 'status' });
    return h('div', { class: 'account-card' },
      h('p', { class: 'card-title' }, card.title || 'Account'),
      h('p', { class: 'card-account' }, card.accountDisplayName || '', card.maskedNumber ? ` · ${card.maskedNumber}` : ''),
      h('ul', { class: 'card-lines' }, (card.lines || []).map((l) => h('li', {}, l))),
      card.asOf ? h('p', { class: 'muted small' }, 'As of ', h('time', { datetime: isoAttr(card.asOf) }, dateTime(card.asOf))) : null,
      m.personOnly ? h('p', { class: 'private' }, 'Only you can see this') : h('p', { class: 'muted small' }, `Shared with ${c?.businessName || 'the bank'}`),
      shareable ? h('button', { type: 'button', class: 'button small secondary', 'data-key': `share:${m.seq}`, onclick: async (e) => {
        const ok = await confirmDialog({ title: `Share with ${c.businessName}?`,
          body: `${c.businessName} will see this card (${card.title || 'account details'}). You can end access at any time on the Privacy page.`,
          confirmLabel: 'Share' });
        if (!ok) return;
        e.target.disabled = true;
        try {
          const updated = await this.api.shareCard(m.conversationId, m.id);
          if (updated?.seq) this.onMessage(updated);
          status.textContent = `Shared with ${c.businessName}.`;
        } catch (err) {
          e.target.disabled = false;
          status.textContent = err.notAvailable ? 'Sharing cards is not available on this server yet.' : err.message;
        }
      } }, `Share with ${c.businessName}`) : null,
      status);
  }
}

/**
 * Whether a card read under `consent` (as GET /v1/consents/{id} answers) may be shown to the bank: chat-service shares
 * it only while the consent is authorised and unexpired, and only for "help from the bank in chat" (CUSTOMER_SERVICE).
 */
export function allowsSharing(consent, now = Date.now()) {
  const expires = Date.parse(consent?.expiresAt);  // chat-service refuses a consent without an expiry: so does this
  return consent?.status === 'AUTHORISED' && (consent.purposes || []).includes('CUSTOMER_SERVICE')
    && Number.isFinite(expires) && expires > now;
}

export function renderReceipt(r) {
  return h('div', { class: 'receipt' },
    h('p', { class: 'card-title' }, `Receipt · ${r.merchantName || ''}`),
    h('p', { class: 'muted small' }, 'Order ', h('strong', {}, r.orderNumber || ''),
      r.paidAt ? [' · paid ', h('time', { datetime: isoAttr(r.paidAt) }, dateTime(r.paidAt))] : null),
    h('table', { class: 'receipt-items' },
      h('caption', { class: 'visually-hidden' }, `Items of order ${r.orderNumber || ''}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Item'), h('th', { scope: 'col', class: 'num' }, 'Qty'),
        h('th', { scope: 'col', class: 'num' }, 'Amount'))),
      h('tbody', {}, (r.items || []).map((it) => h('tr', {},
        h('td', {}, it.description),
        h('td', { class: 'num' }, String(it.quantity || 1)),
        h('td', { class: 'num' }, safeMoney(it.unitPrice ? multiplyMoney(it.unitPrice, it.quantity || 1) : null))))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: '2' }, 'Total'), h('td', { class: 'num total' }, safeMoney(r.total))))));
}

function safeMoney(m) {
  try {
    return m ? formatMoney(m) : '';
  } catch {
    return '—';
  }
}

/** One line of text for a message (list previews and announcements). */
export function preview(m) {
  const c = m?.content || {};
  if (c.text) return c.text.body;
  if (c.quickReplies) return c.quickReplies.body || 'Choose an option';
  if (c.buttons) return c.buttons.body || 'Choose an option';
  if (c.receipt) return `Receipt ${c.receipt.orderNumber || ''} · ${safeMoney(c.receipt.total)}`;
  if (c.accountCard) return `${c.accountCard.title || 'Account'} (only you can see this)`;
  if (c.notice) return c.notice.text;
  return 'Message';
}

/**
 * Puts a message read over REST into its thread as any "redacted" event has left it: a page read before the
 * redaction would otherwise bring the card's bank data back, also when the event came before the page. Exported for
 * its test.
 */
export function putRead(t, m) {
  const r = t.redacted.get(m.seq);
  t.messages.set(m.seq, r ? redact(m, r) : m);
}

/** A message as a "redacted" event replaces it: with the event's message, or with its replacement content. */
function redact(m, r) {
  return r.content ? { ...m, ...r } : { ...m, content: r.replacement, kind: r.replacement?.notice ? 'NOTICE' : m.kind };
}

/**
 * A conversation as a list read (or POST /v1/conversations) shows it, merged into the one held: when events have moved
 * the held one past the read (a newer last message), what the events set is kept; a read may be older than the events
 * that followed it. Watermarks only move forward, and the count is no more than the messages after the watermark.
 */
function mergeRead(held, read) {
  if (!held) return { ...read };
  const merged = (held.lastSeq || 0) > (read.lastSeq || 0)
    ? { ...held, ...read, lastSeq: held.lastSeq, lastMessage: held.lastMessage, lastMessageAt: held.lastMessageAt,
      unreadCount: held.unreadCount }
    : { ...held, ...read };
  merged.readSeq = Math.max(held.readSeq || 0, read.readSeq || 0);
  merged.businessReadSeq = Math.max(held.businessReadSeq || 0, read.businessReadSeq || 0);
  merged.unreadCount = unreadAfter(merged, merged.unreadCount);
  return merged;
}

/** An unread count after the person's watermark moved: no more than the messages after it (own ones included). */
function unreadAfter(c, count) {
  return Math.max(0, Math.min(Number(count || 0), (c.lastSeq || 0) - (c.readSeq || 0)));
}

/** The newest seq a thread holds (0 for none). */
function newestSeq(t) {
  return Math.max(0, ...t.messages.keys());
}

/**
 * The last seq a thread holds with none missing before it: from its oldest (or from 1 when it holds the very first
 * message) upwards while the next one is there.
 */
function lastContiguous(t) {
  if (!t.messages.size) return 0;
  let seq = t.hasOlder ? Math.min(...t.messages.keys()) : 0;
  while (t.messages.has(seq + 1)) seq += 1;
  return seq;
}

function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return (words.slice(0, 2).map((w) => w[0]).join('') || '?').toUpperCase();
}
