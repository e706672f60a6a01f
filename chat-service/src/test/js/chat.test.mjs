import { test } from 'node:test';
import assert from 'node:assert/strict';
import { putRead } from '../../main/resources/META-INF/resources/views/chat.js';

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
