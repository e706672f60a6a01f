// A small stand-in for the browser's DOM, enough for the views' own code (dom.js builds everything with
// createElement, text nodes and attributes) to run under node:test: elements, text, attributes, classes, events
// and querySelector with tag, #id, .class, [attr] and [attr=value] compounds joined by descendant spaces.
// Not a test file itself (no .test.mjs): the view tests import it first.

class FakeNode {
  constructor() {
    this.parentNode = null;
    this.childNodes = [];
  }

  get firstChild() {
    return this.childNodes[0] || null;
  }

  get children() {
    return this.childNodes.filter((n) => n instanceof FakeElement);
  }

  get textContent() {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(text) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes = [];
    if (text !== '' && text !== null && text !== undefined) this.appendChild(new FakeText(String(text)));
  }

  appendChild(node) {
    node.parentNode?.removeChild(node);
    node.parentNode = this;
    this.childNodes.push(node);
    return node;
  }

  append(...nodes) {
    for (const n of nodes) this.appendChild(typeof n === 'string' ? new FakeText(n) : n);
  }

  prepend(...nodes) {
    for (const n of nodes.reverse()) {
      const node = typeof n === 'string' ? new FakeText(n) : n;
      node.parentNode?.removeChild(node);
      node.parentNode = this;
      this.childNodes.unshift(node);
    }
  }

  removeChild(node) {
    const i = this.childNodes.indexOf(node);
    if (i >= 0) this.childNodes.splice(i, 1);
    node.parentNode = null;
    return node;
  }

  remove() {
    this.parentNode?.removeChild(this);
  }

  replaceWith(node) {
    const parent = this.parentNode;
    if (!parent) return;
    node.parentNode?.removeChild(node);
    parent.childNodes[parent.childNodes.indexOf(this)] = node;
    node.parentNode = parent;
    this.parentNode = null;
  }

  after(node) {
    const parent = this.parentNode;
    if (!parent) return;
    node.parentNode?.removeChild(node);
    parent.childNodes.splice(parent.childNodes.indexOf(this) + 1, 0, node);
    node.parentNode = parent;
  }

  contains(node) {
    for (let a = node; a; a = a.parentNode) if (a === this) return true;
    return false;
  }

  get nextElementSibling() {
    const siblings = this.parentNode?.children || [];
    return siblings[siblings.indexOf(this) + 1] || null;
  }
}

class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.data = data;
  }

  get textContent() {
    return this.data;
  }

  set textContent(text) {
    this.data = String(text);
  }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.dataset = {};
    this.listeners = new Map();
    this.value = '';
    this.checked = false;
    this.scrollTop = 0;
    this.scrollHeight = 0;
    this.clientHeight = 0;
    const el = this;
    this.classList = {
      contains: (c) => el.className.split(/\s+/).includes(c),
      add: (c) => { if (!el.classList.contains(c)) el.className = `${el.className} ${c}`.trim(); },
      remove: (c) => { el.className = el.className.split(/\s+/).filter((x) => x !== c).join(' '); },
    };
  }

  get className() {
    return this.attributes.get('class') || '';
  }

  set className(v) {
    this.attributes.set('class', String(v));
  }

  get id() {
    return this.attributes.get('id') || '';
  }

  get hidden() {
    return this.attributes.has('hidden');
  }

  set hidden(v) {
    if (v) this.attributes.set('hidden', '');
    else this.attributes.delete('hidden');
  }

  get disabled() {
    return this.attributes.has('disabled');
  }

  set disabled(v) {
    if (v) this.attributes.set('disabled', '');
    else this.attributes.delete('disabled');
  }

  setAttribute(k, v) {
    this.attributes.set(k, String(v));
  }

  getAttribute(k) {
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }

  hasAttribute(k) {
    return this.attributes.has(k);
  }

  removeAttribute(k) {
    this.attributes.delete(k);
  }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  removeEventListener(type, fn) {
    this.listeners.set(type, (this.listeners.get(type) || []).filter((f) => f !== fn));
  }

  dispatchEvent(event) {
    event.target ??= this;
    for (const fn of this.listeners.get(event.type) || []) fn(event);
    return true;
  }

  click() {
    if (this.disabled) return;
    this.dispatchEvent({ type: 'click', target: this, preventDefault() {} });
  }

  focus() {
    document.activeElement = this;
  }

  blur() {}

  querySelectorAll(selector) {
    const groups = selector.split(',').map((g) => g.trim().split(/\s+/).map(parseCompound));
    const found = [];
    const walk = (el) => {
      for (const child of el.children) {
        if (groups.some((chain) => matchesChain(child, chain, this))) found.push(child);
        walk(child);
      }
    };
    walk(this);
    return found;
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] || null;
  }
}

function parseCompound(text) {
  const c = { tag: null, id: null, classes: [], attrs: [] };
  const re = /([a-zA-Z][\w-]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=["']?([^"'\]]*)["']?)?\]/g;
  for (let m; (m = re.exec(text));) {
    if (m[1]) c.tag = m[1].toUpperCase();
    else if (m[2]) c.id = m[2];
    else if (m[3]) c.classes.push(m[3]);
    else c.attrs.push([m[4], m[5]]);
  }
  return c;
}

function matchesCompound(el, c) {
  if (c.tag && el.tagName !== c.tag) return false;
  if (c.id && el.id !== c.id) return false;
  if (!c.classes.every((x) => el.classList.contains(x))) return false;
  return c.attrs.every(([k, v]) => el.hasAttribute(k) && (v === undefined || el.getAttribute(k) === v));
}

/** The last compound matches the element, the ones before it ancestors below the search root, in order. */
function matchesChain(el, chain, root) {
  if (!matchesCompound(el, chain[chain.length - 1])) return false;
  let i = chain.length - 2;
  for (let a = el.parentNode; i >= 0 && a && a !== root; a = a.parentNode) {
    if (a instanceof FakeElement && matchesCompound(a, chain[i])) i--;
  }
  return i < 0;
}

/** A closed <details> shows its <summary> only. */
function folded(parent, child) {
  return parent.tagName === 'DETAILS' && !parent.hasAttribute('open') && child.tagName !== 'SUMMARY';
}

/** The text a person sees: hidden elements, and what closed <details> fold away, left out. */
export function visibleText(node) {
  if (node instanceof FakeText) return node.data;
  if (node.hidden) return '';
  return node.childNodes.filter((c) => !folded(node, c)).map(visibleText).join('');
}

/** False when the element or one around it is hidden, or folded away in a closed <details>. */
export function shown(el) {
  for (let a = el; a; a = a.parentNode) {
    if (a.hidden || (a.parentNode instanceof FakeElement && folded(a.parentNode, a))) return false;
  }
  return true;
}

/** The buttons under `root` whose text is `label`, hidden ones left out. */
export function buttons(root, label) {
  return root.querySelectorAll('button').filter((b) => b.textContent.trim() === label && shown(b));
}

/** Lets pending promise callbacks and zero-delay timers run. */
export async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** sessionStorage as a tab has it. */
export class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

globalThis.Node = FakeNode;
globalThis.document = {
  visibilityState: 'visible',
  activeElement: null,
  body: new FakeElement('body'),
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(String(text)),
  addEventListener() {},
};
