// Agent console of the sandbox bank (development tool). Plain JS, no dependencies.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const WINDOW_MS = 24 * 60 * 60 * 1000;
  // position: the highest inbox position applied; an event at or below it was counted already
  const state = { conversations: new Map(), order: [], nextPage: '', open: null, messages: new Map(), position: 0,
                  pendingId: null, pendingText: null, typingSentAt: 0, typingTimer: null, personTypingTimer: null };

  // ---------- helpers ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v; else if (v !== undefined && v !== null) node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return 'agent-' + crypto.randomUUID();
    const b = new Uint8Array(16); crypto.getRandomValues(b);
    return 'agent-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  const num = (v) => Number(v || 0);
  function time(ts) { return ts ? new Date(ts).toLocaleString() : ''; }
  function money(m) {
    if (!m) return '';
    const cents = num(m.units) * 100 + Math.round(num(m.nanos) / 1e7);
    try { return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).format(cents / 100); }
    catch (e) { return (cents / 100).toFixed(2) + ' ' + m.currency; }
  }
  async function call(method, url, body) {
    const res = await fetch(url, { method, headers: body ? { 'Content-Type': 'application/json' } : {},
                                   body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error((data && data.detail) || ('HTTP ' + res.status));
      err.status = res.status; err.problem = data || {};
      throw err;
    }
    return data;
  }
  const path = (id) => '/agent/conversations/' + encodeURIComponent(id);

  // ---------- tabs ----------
  const tabs = [$('tab-bank'), $('tab-shop')];
  function selectTab(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on)); t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
    tab.focus();
  }
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => selectTab(t));
    t.addEventListener('keydown', (e) => {
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next !== undefined) { e.preventDefault(); selectTab(tabs[(next + tabs.length) % tabs.length]); }
    });
  });

  // ---------- conversations ----------
  function upsertConversation(c) {
    if (!c || !c.id) return;
    const known = state.conversations.get(c.id) || {};
    state.conversations.set(c.id, Object.assign(known, c));
    state.order = [...state.conversations.values()]
      .sort((a, b) => (Date.parse(b.lastMessageAt || 0) || 0) - (Date.parse(a.lastMessageAt || 0) || 0)).map((x) => x.id);
  }
  function renderList() {
    const ul = $('conversations');
    ul.replaceChildren();
    if (!state.order.length) ul.append(el('li', { class: 'muted' }, 'No conversations yet.'));
    for (const id of state.order) {
      const c = state.conversations.get(id);
      const unread = num(c.unreadCount);
      const label = el('span', {}, c.personDisplayName || c.personRef || c.id,
                       el('br'), el('span', { class: 'muted' }, c.lastMessageAt ? time(c.lastMessageAt) : 'no messages'));
      const btn = el('button', { type: 'button', 'aria-current': String(id === state.open) }, label,
                     unread ? el('span', { class: 'badge', 'aria-label': unread + ' unread' }, unread) : null,
                     c.blocked ? el('span', { class: 'muted' }, 'blocked') : null);
      btn.addEventListener('click', () => openConversation(id));
      ul.append(el('li', {}, btn));
    }
    $('more-conversations').hidden = !state.nextPage;
  }
  async function loadConversations(more) {
    try {
      const page = await call('GET', '/agent/conversations?pageSize=50' + (more ? '&pageToken=' + encodeURIComponent(state.nextPage) : ''));
      if (!more) state.conversations.clear();
      (page.conversations || []).forEach(upsertConversation);
      state.nextPage = page.nextPageToken || '';
      renderList();
    } catch (e) { showUpstream('Could not load conversations: ' + e.message, true); }
  }
  $('reload').addEventListener('click', () => { loadConversations(false); if (state.open) openConversation(state.open); });
  $('more-conversations').addEventListener('click', () => loadConversations(true));

  // ---------- thread ----------
  function outsideWindow(c) {
    return !c || !c.personLastMessageAt || Date.now() - Date.parse(c.personLastMessageAt) > WINDOW_MS;
  }
  function renderMeta() {
    const c = state.conversations.get(state.open);
    if (!c) return;
    const parts = [];
    if (c.personReadSeq) parts.push('Read by the person up to #' + c.personReadSeq);
    parts.push(outsideWindow(c) ? 'More than 24 h since the person last wrote: replies need the account update tag.'
                                : 'Within the 24 h reply window.');
    if (c.blocked) parts.push('The person blocked this business.');
    $('thread-meta').textContent = parts.join(' · ');
    $('tag-update').checked = outsideWindow(c);
  }
  async function openConversation(id) {
    state.open = id; state.messages.clear();
    const c = state.conversations.get(id) || { id };
    $('thread-title').textContent = c.personDisplayName || c.personRef || id;
    $('messages').replaceChildren(); $('composer').hidden = false; $('send-error').textContent = '';
    $('window-warning').hidden = true;
    renderList(); renderMeta();
    try {
      const page = await call('GET', path(id) + '/history?pageSize=50');
      (page.messages || []).slice().reverse().forEach(addMessage);
      $('older').hidden = !page.hasMore;
      markReadLatest();
    } catch (e) { $('send-error').textContent = 'Could not load the history: ' + e.message; }
  }
  $('older').addEventListener('click', async () => {
    const seqs = [...state.messages.values()].map((m) => num(m.seq)).filter((s) => s > 0);
    if (!seqs.length) return;
    const page = await call('GET', path(state.open) + '/history?pageSize=50&beforeSeq=' + Math.min(...seqs));
    (page.messages || []).forEach(addMessage);
    $('older').hidden = !page.hasMore;
  });

  function renderContent(content) {
    const c = content || {};
    // a reply to a quick reply or button: the label the person saw, and the payload it carried
    if (c.text && c.text.payload) return el('p', {}, c.text.body, ' ', el('small', { class: 'muted' }, `(${c.text.payload})`));
    if (c.text) return el('p', {}, c.text.body);
    if (c.quickReplies) {
      return el('div', {}, el('p', {}, c.quickReplies.body),
        el('div', { class: 'chips', 'aria-label': 'Quick replies offered' },
          ...(c.quickReplies.options || []).map((o) => el('span', { class: 'chip' }, o.label))));
    }
    if (c.buttons) {
      return el('div', {}, el('p', {}, c.buttons.body),
        el('div', { class: 'chips' }, ...(c.buttons.buttons || []).map((b) => el('span', { class: 'chip' }, b.label))));
    }
    if (c.receipt) {
      const r = c.receipt;
      return el('div', { class: 'card receipt' }, el('h3', {}, 'Receipt ' + (r.orderNumber || '') + ' · ' + (r.merchantName || '')),
        el('table', {}, el('tbody', {}, ...(r.items || []).map((i) =>
          el('tr', {}, el('td', {}, i.description), el('td', { class: 'num' }, '× ' + (i.quantity || 0)),
             el('td', { class: 'num' }, money(i.unitPrice))))),
          el('tfoot', {}, el('tr', {}, el('th', { scope: 'row', colspan: '2' }, 'Total'), el('td', { class: 'num' }, money(r.total))))));
    }
    if (c.accountCard) {
      const a = c.accountCard;
      return el('div', { class: 'card', role: 'group', 'aria-label': 'Account card shared by the person' },
        el('h3', {}, (a.title || 'Account') + ' · ' + (a.accountDisplayName || '') + ' ' + (a.maskedNumber || '')),
        el('ul', {}, ...(a.lines || []).map((l) => el('li', {}, l))),
        a.asOf ? el('span', { class: 'muted' }, 'As of ' + time(a.asOf)) : null,
        el('span', { class: 'muted' }, ' · shared by the person'));
    }
    if (c.notice) return el('p', { class: 'muted' }, el('em', {}, c.notice.text));
    return el('p', { class: 'muted' }, '(unsupported content)');
  }
  const SENDERS = { SENDER_KIND_PERSON: ['person', 'Person'], SENDER_KIND_BUSINESS: ['business', 'You (bank)'],
                    SENDER_KIND_ASSISTANT: ['assistant', 'Assistant (automated)'], SENDER_KIND_SYSTEM: ['system', 'System'] };
  function bubble(m, pending) {
    const [cls, who] = SENDERS[m.sender] || ['business', 'You (bank)'];
    const meta = [who, m.seq ? '#' + m.seq : null, time(m.sentAt), m.updateTag ? m.updateTag.replace('UPDATE_TAG_', '').toLowerCase() : null,
                  pending ? 'sending…' : null].filter(Boolean).join(' · ');
    return el('li', { class: 'msg ' + cls + (pending ? ' pending' : ''), 'data-id': m.id || '', 'data-client': m.clientMessageId || '' },
              renderContent(m.content), el('span', { class: 'meta' }, meta));
  }
  function addMessage(m) {
    if (!m || m.conversationId !== state.open) return;
    const ol = $('messages');
    const pending = m.clientMessageId ? ol.querySelector('li.pending[data-client="' + CSS.escape(m.clientMessageId) + '"]') : null;
    if (pending) pending.remove();
    const existing = state.messages.get(m.id);
    state.messages.set(m.id, m);
    const node = bubble(m, false);
    if (existing) {
      const old = ol.querySelector('li[data-id="' + CSS.escape(m.id) + '"]');
      if (old) { old.replaceWith(node); return; }
    }
    const seq = num(m.seq);
    const after = [...ol.children].find((li) => { const x = state.messages.get(li.dataset.id); return x && num(x.seq) > seq; });
    ol.insertBefore(node, after || null);
    if (!after) ol.scrollTop = ol.scrollHeight;
  }
  async function markReadLatest() {
    const c = state.conversations.get(state.open);
    const seqs = [...state.messages.values()].map((m) => num(m.seq));
    if (!seqs.length || document.hidden) return;
    const seq = Math.max(...seqs);
    try {
      await call('POST', path(state.open) + '/read', { seq });
      if (c) { c.unreadCount = 0; renderList(); }
    } catch (e) { /* not important enough to interrupt the agent */ }
  }
  document.addEventListener('visibilitychange', () => { if (!document.hidden && state.open) markReadLatest(); });

  // ---------- composer ----------
  function quickReplies() {
    return $('quick').value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const [label, ...rest] = l.split('|');
      return { label: label.trim(), payload: rest.join('|').trim() || undefined };
    });
  }
  async function send(updateTag) {
    const text = $('text').value.trim();
    if (!text || !state.open) return;
    const replies = quickReplies();
    // one client message id per message; a retry of the same text reuses it (idempotent at chat-service)
    const key = text + '\u0000' + JSON.stringify(replies);
    if (state.pendingText !== key) { state.pendingId = newId(); state.pendingText = key; }
    const body = { clientMessageId: state.pendingId, text, quickReplies: replies.length ? replies : undefined,
                   updateTag: updateTag || ($('tag-update').checked ? 'ACCOUNT_UPDATE' : undefined) };
    const conversationId = state.open;
    $('send-error').textContent = ''; $('window-warning').hidden = true; $('send').disabled = true;
    const preview = bubble({ clientMessageId: body.clientMessageId, conversationId, sender: 'SENDER_KIND_BUSINESS',
      content: replies.length ? { quickReplies: { body: text, options: replies } } : { text: { body: text } } }, true);
    $('messages').append(preview); $('messages').scrollTop = $('messages').scrollHeight;
    try {
      const sent = await call('POST', path(conversationId) + '/messages', body);
      $('text').value = ''; $('quick').value = ''; state.pendingText = null;
      addMessage(sent.message);
      setTyping(false);
    } catch (e) {
      preview.remove();
      const type = (e.problem && e.problem.type) || '';
      if (e.status === 409 && type.endsWith(':outside-reply-window')) {
        $('window-text').textContent = e.message + ' Send it as an account update (UPDATE_TAG_ACCOUNT_UPDATE)?';
        $('window-warning').hidden = false; $('send-update').focus();
      } else {
        $('send-error').textContent = e.message + (e.status === 503 || !e.status ? ' Press Send to retry.' : '');
      }
    } finally { $('send').disabled = false; }
  }
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  $('send-update').addEventListener('click', () => send('ACCOUNT_UPDATE'));
  $('cancel-update').addEventListener('click', () => { $('window-warning').hidden = true; $('text').focus(); });

  function setTyping(on) {
    if (!state.open) return;
    clearTimeout(state.typingTimer);
    if (on) {
      if (Date.now() - state.typingSentAt > 3000) {
        state.typingSentAt = Date.now();
        call('POST', path(state.open) + '/typing', { typing: true }).catch(() => {});
      }
      state.typingTimer = setTimeout(() => setTyping(false), 5000);
    } else if (state.typingSentAt) {
      state.typingSentAt = 0;
      call('POST', path(state.open) + '/typing', { typing: false }).catch(() => {});
    }
  }
  $('text').addEventListener('input', () => setTyping($('text').value.length > 0));
  $('text').addEventListener('blur', () => setTyping(false));

  // ---------- live events ----------
  function showUpstream(text, bad) { $('upstream').textContent = text; $('upstream').classList.toggle('bad', !!bad); }
  function onInbox(ev) {
    if (ev.message) {
      const m = ev.message;
      const c = state.conversations.get(m.conversationId);
      if (!c) { loadConversations(false); } else {
        c.lastSeq = m.seq; c.lastMessageAt = m.sentAt || ev.occurredAt;
        if (m.sender === 'SENDER_KIND_PERSON') {
          c.personLastMessageAt = m.sentAt || ev.occurredAt;
          if (m.conversationId !== state.open || document.hidden) c.unreadCount = num(c.unreadCount) + 1;
        }
        upsertConversation(c); renderList();
      }
      if (m.conversationId === state.open) {
        addMessage(m); renderMeta();
        if (m.sender === 'SENDER_KIND_PERSON') { $('typing').textContent = ''; markReadLatest(); }
      }
    } else if (ev.read) {
      const c = state.conversations.get(ev.read.conversationId);
      if (c && ev.read.reader === 'SENDER_KIND_PERSON') { c.personReadSeq = ev.read.readSeq; if (c.id === state.open) renderMeta(); }
    } else if (ev.typing) {
      if (ev.typing.conversationId === state.open && ev.typing.who === 'SENDER_KIND_PERSON') {
        $('typing').textContent = ev.typing.typing ? 'The person is typing…' : '';
        clearTimeout(state.personTypingTimer);
        state.personTypingTimer = setTimeout(() => { $('typing').textContent = ''; }, 8000);
      }
    } else if (ev.redacted) {
      const r = ev.redacted;
      const m = state.messages.get(r.messageId);
      if (m) addMessage(Object.assign({}, m, { content: r.replacement }));
    } else if (ev.conversationUpdated) {
      upsertConversation(ev.conversationUpdated); renderList();
      if (ev.conversationUpdated.id === state.open) renderMeta();
    }
  }
  function connect() {
    const source = new EventSource('/agent/events'); // reconnects by itself, sending Last-Event-ID
    source.addEventListener('inbox', (e) => {
      // after the sandbox subscribes again from the start (a restart), chat-service replays what this page applied
      const position = Number(e.lastEventId);
      if (!(position > state.position)) return;
      state.position = position;
      try { onInbox(JSON.parse(e.data)); } catch (err) { console.warn(err); }
    });
    source.addEventListener('status', (e) => {
      const s = JSON.parse(e.data);
      showUpstream(s.upstream === 'live' ? 'Live · chat-service connected' : 'chat-service: ' + s.upstream + ' — ' + s.detail,
                   s.upstream !== 'live');
    });
    // the server's inbox started over (positions from 1 again) or missed events are gone: reload, then take any position
    source.addEventListener('resync', () => {
      state.position = 0; loadConversations(false); if (state.open) openConversation(state.open);
    });
    source.onerror = () => showUpstream('Connection to the sandbox lost; reconnecting…', true);
  }

  // ---------- demo shop ----------
  function addItemRow(desc, qty, price) {
    const row = el('tr', {},
      el('td', {}, el('input', { 'aria-label': 'Description', maxlength: '200', value: desc || '' })),
      el('td', {}, el('input', { 'aria-label': 'Quantity', type: 'number', min: '1', max: '999', value: qty || '1' })),
      el('td', {}, el('input', { 'aria-label': 'Unit price', inputmode: 'decimal', pattern: '\\d+(\\.\\d{1,2})?', value: price || '' })));
    const remove = el('button', { type: 'button', class: 'secondary' }, 'Remove');
    remove.addEventListener('click', () => row.remove());
    row.append(el('td', {}, remove));
    $('r-items').append(row);
    row.querySelector('input').focus();
  }
  $('r-add').addEventListener('click', () => addItemRow());
  $('receipt').addEventListener('submit', async (e) => {
    e.preventDefault();
    const items = [...$('r-items').children].map((row) => {
      const [d, q, p] = row.querySelectorAll('input');
      return { description: d.value.trim(), quantity: Number(q.value), unitPrice: p.value.trim() };
    }).filter((i) => i.description);
    const body = { conversationId: $('r-conversation').value.trim(), currency: $('r-currency').value,
                   items: items.length ? items : undefined };
    $('r-result').textContent = 'Sending…';
    try {
      const r = await call('POST', '/sandbox/shop/receipts', body);
      $('r-result').textContent = 'Sent receipt ' + r.orderNumber + ' (' + r.total + ' ' + r.currency + ')' + (r.duplicate ? ', duplicate' : '') + '.';
    } catch (err) { $('r-result').textContent = 'Not sent: ' + err.message; }
  });

  loadConversations(false);
  connect();
})();
