import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatView, putRead } from '../../main/resources/META-INF/resources/views/chat.js';

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
