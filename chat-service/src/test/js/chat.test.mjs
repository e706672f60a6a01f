import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatView, putRead, allowsSharing } from '../../main/resources/META-INF/resources/views/chat.js';
import { ApiError } from '../../main/resources/META-INF/resources/api.js';
import { visibleText, buttons, settle, MemoryStorage } from './fake-dom.mjs';

const card = { id: 'm2', seq: 2, kind: 'ACCOUNT_CARD', content: { accountCard: { title: 'Balance', lines: [{ label: 'Available', value: '1,234.56 EUR' }] } } };
const ended = { conversationId: 'c1', seq: 2, messageId: 'm2', replacement: { notice: { text: 'Access to this account ended.' } } };

test('a card read after its "redacted" event arrived is shown redacted, also when the thread did not hold it yet', () => {
  const t = { messages: new Map(), redacted: new Map([[2, ended]]) };
  putRead(t, card);
  const shown = t.messages.get(2);
  assert.equal(shown.kind, 'NOTICE');
  assert.equal(shown.content.accountCard, undefined, 'no bank data comes back');
  assert.equal(shown.content.notice.text, 'Access to this account ended.');
});

test('a message without a redaction is put as read', () => {
  const t = { messages: new Map(), redacted: new Map() };
  putRead(t, card);
  assert.deepEqual(t.messages.get(2), card);
});

test('the outbox kept across a reload keeps a quick reply payload, so its retry is the same message', () => {
  const stored = new Map();
  globalThis.sessionStorage = { setItem: (k, v) => stored.set(k, v), getItem: (k) => stored.get(k) ?? null, removeItem: (k) => stored.delete(k) };
  try {
    const pending = new Map([['cm-1', { clientMessageId: 'cm-1', text: 'No thanks', payload: 'DECLINE', at: '2026-12-06T12:00:00Z', state: 'sending' }]]);
    const view = { threads: new Map([['c1', { pending }]]), drafts: {}, outboxKey: 'outbox:alice' };
    ChatView.prototype.saveOutbox.call(view);
    const saved = JSON.parse(stored.get('outbox:alice'));
    assert.deepEqual(saved.pending.c1, [{ clientMessageId: 'cm-1', text: 'No thanks', payload: 'DECLINE', at: '2026-12-06T12:00:00Z' }]);
  } finally {
    delete globalThis.sessionStorage;
  }
});

// ---- the view on a page (fake-dom.mjs), with the stream's events handed in as EventStream would -----------------

const SHOP = { id: 'c1', businessId: 'shop', businessName: 'Shoe Shop', businessKind: 'SHOP', lastSeq: 1, unreadCount: 0,
  lastMessageAt: '2026-12-06T12:00:00Z' };
const text = (seq, sender, body) => ({ id: `m${seq}`, conversationId: 'c1', seq, sender, kind: 'TEXT',
  content: { text: { body } }, sentAt: `2026-12-06T12:0${seq}:00Z` });

/** A ChatView on a page, over an api whose answers the test gives; `conversationId` opens that thread. */
async function chatPage(api, conversationId = null) {
  globalThis.sessionStorage = new MemoryStorage();
  const view = new ChatView({ api: { markRead: async (id, seq) => ({ readSeq: seq }), typing: async () => {}, ...api },
    announce: () => {}, navigate: () => {}, subject: 'alice' });
  const root = document.createElement('main');
  view.mount(root, { conversationId });
  await settle();
  return { view, root };
}

const event = (name, data) => ({ id: '9', event: name, data: JSON.stringify(data) });

test('"is typing…" goes when the business\'s reply arrives', async () => {
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [SHOP] }),
    conversation: async () => SHOP,
    messages: async () => ({ messages: [text(1, 'PERSON', 'Where are my shoes?')], hasMore: false }),
  }, 'c1');
  const typing = () => root.querySelector('.thread-header .typing').textContent;
  view.handleEvent(event('typing', { conversationId: 'c1', who: 'BUSINESS', typing: true,
    expiresAt: new Date(Date.now() + 6000).toISOString() }));
  assert.equal(typing(), 'Shoe Shop is typing…');
  view.handleEvent(event('message', text(2, 'BUSINESS', 'On their way!')));
  assert.match(visibleText(root.querySelector('.messages')), /On their way!/);
  assert.equal(typing(), '', 'the reply ends it');
  view.unmount();
});

test('a thread that could not be read offers "Try again", and keeps what arrived meanwhile', async () => {
  let reads = 0;
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [SHOP] }),
    conversation: async () => SHOP,
    messages: async () => {
      reads++;
      if (reads === 1) throw new ApiError({ status: 0, detail: 'Commerce Chat cannot be reached. Check your connection and try again.' });
      // read from a replica a moment behind: the page does not hold the message the stream brought yet
      return { messages: [text(1, 'PERSON', 'Where are my shoes?')], hasMore: false };
    },
  }, 'c1');
  const messages = () => visibleText(root.querySelector('.messages'));
  assert.match(messages(), /cannot be reached/);
  const retry = buttons(root.querySelector('.messages'), 'Try again');
  assert.equal(retry.length, 1, 'a way to read it again');
  view.handleEvent(event('message', text(2, 'BUSINESS', 'On their way!')));
  retry[0].click();
  await settle();
  assert.equal(reads, 2);
  assert.match(messages(), /Where are my shoes\?/);
  assert.match(messages(), /On their way!/, 'the message that came while the thread could not be read is there');
  view.unmount();
});

test('reading a chat on another device clears its unread badge here', async () => {
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [{ ...SHOP, lastSeq: 3, unreadCount: 2, readSeq: 1 }] }),
  });
  const badge = () => root.querySelector('.conversation-list .badge')?.textContent ?? null;
  assert.equal(badge(), '2');
  view.handleEvent(event('read', { conversationId: 'c1', reader: 'PERSON', readSeq: 3 }));
  assert.equal(badge(), null);
  view.unmount();
});

test('reading part of a chat on another device leaves only what is after it unread', async () => {
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [{ ...SHOP, lastSeq: 5, unreadCount: 4, readSeq: 1 }] }),
  });
  const badge = () => root.querySelector('.conversation-list .badge')?.textContent ?? null;
  view.handleEvent(event('read', { conversationId: 'c1', reader: 'PERSON', readSeq: 3 }));
  assert.equal(badge(), '2', 'messages 4 and 5 are still unread');
  view.handleEvent(event('read', { conversationId: 'c1', reader: 'BUSINESS', readSeq: 5 }));
  assert.equal(badge(), '2', 'the business\'s reading is not the person\'s');
  view.unmount();
});

test('a message the person sent from another device clears the unread badge', async () => {
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [{ ...SHOP, lastSeq: 3, unreadCount: 2, readSeq: 1 }] }),
  });
  const badge = () => root.querySelector('.conversation-list .badge')?.textContent ?? null;
  assert.equal(badge(), '2');
  view.handleEvent(event('message', text(4, 'PERSON', 'Thanks!')));
  assert.equal(badge(), null, 'writing implies having read (the send moved the watermark)');
  view.handleEvent(event('message', text(5, 'BUSINESS', 'You are welcome')));
  assert.equal(badge(), '1', 'what comes after it counts again');
  view.unmount();
});

test('opening a chat does not let an answer older than a stream event overwrite what the event brought', async () => {
  let answer;
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [{ ...SHOP, lastSeq: 1, unreadCount: 1, readSeq: 0 }] }),
    businesses: async () => [{ id: 'shop', displayName: 'Shoe Shop', kind: 'SHOP' }],
    // read by the server before message 2 was sent; it arrives after the stream brought message 2
    openConversation: () => new Promise((resolve) => { answer = resolve; }),
  });
  const opening = view.openWith({ id: 'shop' });
  view.handleEvent(event('message', text(2, 'BUSINESS', 'Still there?')));
  answer({ ...SHOP, lastSeq: 1, unreadCount: 1, readSeq: 0, lastMessage: text(1, 'BUSINESS', 'Hello') });
  await opening;
  const c = view.conversations.get('c1');
  assert.equal(c.lastSeq, 2);
  assert.equal(c.lastMessage.seq, 2);
  assert.equal(c.unreadCount, 2, 'the newer count is kept');
  view.unmount();
});

test('a capped unread count is announced as "1000 or more unread"', async () => {
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [{ ...SHOP, lastSeq: 5000, unreadCount: 1000, readSeq: 0 }] }),
  });
  const badge = root.querySelector('.conversation-list .badge');
  assert.equal(badge.textContent, '99+');
  assert.equal(badge.getAttribute('aria-label'), '1000 or more unread');
  view.unmount();
});

test('keyboard focus stays on the control it was on while events redraw the chat', async () => {
  const BANK = { ...SHOP, id: 'c1', businessId: 'bank', businessName: 'Sandbox Bank', businessKind: 'BANK' };
  const OTHER = { ...SHOP, id: 'c2', businessName: 'Book Shop', lastMessageAt: '2026-12-06T11:00:00Z' };
  const menu = { id: 'm1', conversationId: 'c1', seq: 1, sender: 'ASSISTANT', automated: true, kind: 'QUICK_REPLIES',
    content: { quickReplies: { body: 'How can I help?', options: [{ label: 'Show balance', payload: 'b' }, { label: 'Recent transactions', payload: 't' }] } },
    sentAt: '2026-12-06T12:01:00Z' };
  const { view, root } = await chatPage({
    conversations: async () => ({ conversations: [BANK, OTHER] }),
    conversation: async () => BANK,
    messages: async () => ({ messages: [menu], hasMore: false }),
  }, 'c1');

  // on a quick reply: someone typing and the business reading redraw the thread
  buttons(root.querySelector('.messages'), 'Recent transactions')[0].focus();
  view.handleEvent(event('read', { conversationId: 'c1', reader: 'BUSINESS', readSeq: 1 }));
  assert.equal(document.activeElement.textContent, 'Recent transactions');
  assert.ok(root.contains(document.activeElement), 'the redrawn button, not the one taken off the page');

  // on another conversation in the list: a message in the first moves it to the top of a redrawn list
  root.querySelector('.conversation-list a[data-key="conversation:c2"]').focus();
  view.handleEvent(event('message', text(2, 'BUSINESS', 'Anything else?')));
  assert.equal(document.activeElement.getAttribute('href'), '#/chats/c2');
  assert.ok(root.contains(document.activeElement));

  // on a header button: the header is redrawn when the business's name or state changes
  buttons(root.querySelector('.thread-header'), 'Block')[0].focus();
  view.renderHeader();
  assert.equal(document.activeElement.textContent, 'Block');
  assert.ok(root.contains(document.activeElement));

  // a quick reply that can no longer be chosen (a newer message came) gives focus to the message list, not the page
  buttons(root.querySelector('.messages'), 'Show balance')[0].focus();
  view.handleEvent(event('message', text(3, 'BUSINESS', 'Still there?')));
  assert.equal(document.activeElement, root.querySelector('.messages'));
  view.unmount();
});

// ---- "Share with <bank>" on account cards --------------------------------------------------------------------------

const BANK_CHAT = { ...SHOP, businessId: 'bank', businessName: 'Sandbox Bank', businessKind: 'BANK', lastSeq: 5 };
const LATER = new Date(Date.now() + 86400000).toISOString();
const consentFor = (id, purposes, more = {}) => ({ id, bankId: 'sandbox-bank', status: 'AUTHORISED', purposes,
  expiresAt: LATER, ...more });
const cardUnder = (seq, consentId) => ({ id: `m${seq}`, conversationId: 'c1', seq, sender: 'ASSISTANT', automated: true,
  kind: 'ACCOUNT_CARD', personOnly: true, consentId, sentAt: `2026-12-06T12:0${seq}:00Z`,
  content: { accountCard: { title: `Card ${seq}`, accountDisplayName: 'Current account', lines: ['Available  €1.00'] } } });

/** The bank chat showing `cards` over consents read by id (an id not in `consents` is a 404): the view, the ids asked, share buttons by card. */
async function bankChat(cards, consents) {
  const asked = [];
  const page = await chatPage({
    conversations: async () => ({ conversations: [BANK_CHAT] }),
    conversation: async () => BANK_CHAT,
    messages: async () => ({ messages: cards, hasMore: false }),
    consent: async (id) => {
      asked.push(id);
      await new Promise((r) => setImmediate(r));  // answered later, as over the network
      const c = consents[id];
      if (c instanceof Error) throw c;
      if (!c) throw new ApiError({ status: 404, title: 'Not found', detail: 'No such consent.' });
      return c;
    },
  }, 'c1');
  await settle();
  const shareButtons = () => Object.fromEntries(page.root.querySelectorAll('.account-card').map((card) =>
    [card.querySelector('.card-title').textContent, buttons(card, 'Share with Sandbox Bank').length]));
  return { ...page, asked, shareButtons };
}

test('"Share with <bank>" is offered only on cards whose consent lets the bank see them', async () => {
  const { view, asked, shareButtons } = await bankChat(
    [cardUnder(1, 'k-help'), cardUnder(2, 'k-help'), cardUnder(3, 'k-overview'), cardUnder(4, 'k-unknown'), cardUnder(5)],
    { 'k-help': consentFor('k-help', ['ACCOUNT_OVERVIEW', 'CUSTOMER_SERVICE']), 'k-overview': consentFor('k-overview', ['ACCOUNT_OVERVIEW']) });
  assert.deepEqual(shareButtons(), { 'Card 1': 1, 'Card 2': 1, 'Card 3': 0, 'Card 4': 0, 'Card 5': 0 });
  assert.deepEqual(asked.sort(), ['k-help', 'k-overview', 'k-unknown'], 'each consent is read once, however many cards it has');
  view.unmount();
});

test('a card whose consent could not be read offers no sharing until a later read says it may', async (t) => {
  const consents = { 'k-help': new ApiError({ status: 503, title: 'Unavailable', detail: 'Try again in a minute.' }) };
  const { view, asked, shareButtons } = await bankChat([cardUnder(1, 'k-help')], consents);
  try {
    assert.deepEqual(shareButtons(), { 'Card 1': 0 });
    const redraw = async () => {
      view.handleEvent(event('read', { conversationId: 'c1', reader: 'BUSINESS', readSeq: 1 }));  // draws the thread again
      await settle();
    };
    await redraw();
    assert.equal(asked.length, 1, 'not asked again at every redraw');
    consents['k-help'] = consentFor('k-help', ['CUSTOMER_SERVICE']);
    const now = Date.now();
    t.mock.method(Date, 'now', () => now + 61000);
    await redraw();
    assert.equal(asked.length, 2, 'asked again a minute later');
    assert.deepEqual(shareButtons(), { 'Card 1': 1 });
  } finally {
    view.unmount();  // an unmounted view draws nothing, and so asks nothing more
  }
});

test('sharing is allowed under an authorised, unexpired consent for help from the bank in chat only', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  const help = consentFor('k', ['ACCOUNT_OVERVIEW', 'CUSTOMER_SERVICE'], { expiresAt: '2026-12-07T00:00:00Z' });
  assert.equal(allowsSharing(help, now), true);
  assert.equal(allowsSharing({ ...help, purposes: ['ACCOUNT_OVERVIEW', 'SPENDING_INSIGHTS'] }, now), false);
  assert.equal(allowsSharing({ ...help, status: 'REVOKED' }, now), false);
  assert.equal(allowsSharing({ ...help, status: 'AWAITING_AUTHORISATION' }, now), false);
  assert.equal(allowsSharing({ ...help, expiresAt: '2026-12-06T11:59:59Z' }, now), false);
  assert.equal(allowsSharing(null, now), false);
  assert.equal(allowsSharing({ ...help, expiresAt: undefined }, now), false, 'chat-service refuses a consent without an expiry');
  assert.equal(allowsSharing({ ...help, expiresAt: 'soon' }, now), false);
});

test('a consent read as an empty answer offers no sharing and is not asked for again', async () => {
  const { view, asked, shareButtons } = await bankChat([cardUnder(1, 'k-empty')], {});
  view.api.consent = async (id) => {  // as api.js answers a 204 or an empty body, later, as over the network
    asked.push(id);
    await new Promise((r) => setImmediate(r));
    return null;
  };
  view.cardConsents.clear();
  view.renderThread();
  await settle();
  await settle();
  assert.deepEqual(shareButtons(), { 'Card 1': 0 });
  assert.equal(asked.filter((id) => id === 'k-empty').length, 2, 'the 404 once, the empty answer once: no loop');
  view.unmount();
});
