// Tiny DOM builder. Text is always set as text (never parsed as HTML), so message content from
// businesses cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = Boolean(value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Runs rebuild(), which empties el and fills it again, and gives keyboard focus back to what had it: the element with
 * the same data-key in the new content, else el itself when it can take focus (a tabindex; -1 where it is not a stop of
 * its own). Without this, every event that redraws
 * part of the chat (a message, a read receipt, someone typing) would drop a keyboard or screen-reader user's focus to
 * the top of the page.
 */
export function keepingFocus(el, rebuild) {
  const active = document.activeElement;
  const had = Boolean(active && active !== el && el.contains(active));
  const key = had ? active.getAttribute('data-key') : null;
  rebuild();
  if (!had || el.contains(document.activeElement)) return;
  const again = key && [...el.querySelectorAll('[data-key]')].find((x) => x.getAttribute('data-key') === key && !x.disabled);
  if (again) again.focus({ preventScroll: true });
  else if (el.hasAttribute('tabindex')) el.focus({ preventScroll: true });
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** A status line: kind = 'info' | 'error' | 'success' | 'unavailable'. */
export function notice(kind, text, ...extra) {
  return h('p', { class: `status status-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text, ...extra);
}

export function errorNotice(error, what) {
  if (error?.notAvailable) return notice('unavailable', `${what} is not available on this server yet.`);
  return notice('error', error?.message || String(error));
}

/** A modal confirmation with a real <dialog>; resolves true when confirmed. */
export function confirmDialog({ title, body, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, title),
        h('p', {}, body),
        h('div', { class: 'dialog-actions' },
          h('button', { value: 'cancel', class: 'button secondary' }, 'Cancel'),
          h('button', { value: 'ok', class: danger ? 'button danger' : 'button' }, confirmLabel))));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    dialog.querySelector('button[value=cancel]').focus();
  });
}

/** Saves text as a file through a temporary object URL. */
export function download(filename, text, type = 'application/jwt') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
