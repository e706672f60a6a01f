// Server-Sent Events over fetch(): EventSource cannot send an Authorization header, so this reads
// the stream itself. SseParser follows the WHATWG event-stream rules; EventStream adds bearer
// auth, Last-Event-ID resume, a heartbeat watchdog and reconnection with backoff.

/**
 * Incremental text/event-stream parser. Feed it decoded text in chunks of any size (lines may be
 * split anywhere, even between CR and LF); it calls onEvent({id, event, data}) for every
 * dispatched event, onComment(text) for ":" lines (heartbeats) and onRetry(ms) for "retry:".
 */
export class SseParser {
  constructor({ onEvent = () => {}, onComment = () => {}, onRetry = () => {}, lastEventId = '' } = {}) {
    this.onEvent = onEvent;
    this.onComment = onComment;
    this.onRetry = onRetry;
    // The position to resume after: an "id:" line takes effect only when its event is dispatched (its blank line
    // arrives), so a stream cut in the middle of an event resumes before that event, not after it.
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
    this.buffer = '';
    this.pendingCR = false;
    this.firstChunk = true;
    this.resetEvent();
  }

  resetEvent() {
    this.eventType = '';
    this.data = '';
    this.hasData = false;
  }

  push(chunk) {
    let text = chunk;
    if (this.firstChunk && text.length > 0) {
      this.firstChunk = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR at the end of the previous chunk already ended its line; drop the LF that completes it.
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i));
      if (c === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: an incomplete event is discarded, its id too, as the specification says. */
  end() {
    this.buffer = '';
    this.pendingCR = false;
    this.idBuffer = this.lastEventId;
    this.resetEvent();
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.onComment(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data += value + '\n';
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  dispatch() {
    this.lastEventId = this.idBuffer;  // also for an event without data (WHATWG rules)
    if (!this.hasData) {
      this.resetEvent();
      return;
    }
    const data = this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data;
    const event = { id: this.lastEventId, event: this.eventType || 'message', data };
    this.resetEvent();
    this.onEvent(event);
  }
}

/** Backoff before reconnect attempt n (0-based): 1 s, 2 s, 4 s ... capped, with jitter. */
export function backoffDelay(attempt, { base = 1000, max = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * A resumable authenticated event stream.
 * options: url, getToken() -> Promise<string|null>, onEvent(evt), onStatus(status, detail),
 * onUnauthorized(), lastEventId, onPosition(id), onPositionRejected(), heartbeatTimeoutMs.
 * status: 'connecting' | 'open' | 'waiting' | 'closed'.
 */
export class EventStream {
  constructor(options) {
    this.options = { heartbeatTimeoutMs: 45000, fetch: (...a) => globalThis.fetch(...a), ...options };
    this.lastEventId = options.lastEventId || '';
    this.attempt = 0;
    this.stopped = true;
    this.controller = null;
    this.timer = null;
    this.watchdog = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.controller?.abort();
    this.status('closed');
  }

  /** Reconnect now (e.g. the network came back or the tab became visible). */
  kick() {
    if (this.stopped) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.connect();
    }
  }

  status(s, detail) {
    this.options.onStatus?.(s, detail);
  }

  armWatchdog() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.controller?.abort(new Error('no heartbeat')), this.options.heartbeatTimeoutMs);
  }

  async connect() {
    this.timer = null;
    if (this.stopped) return;
    this.status('connecting');
    const controller = new AbortController();
    this.controller = controller;
    let received = false;
    let retryAfter = null;  // the stream's `retry:` (or 0 to start again at once): the next reconnect only
    let refusedFor = null;  // an HTTP Retry-After: the reconnect it answers
    try {
      const token = await this.options.getToken();
      if (!token) {
        this.options.onUnauthorized?.();
        this.stop();
        return;
      }
      const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
      if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
      this.armWatchdog();
      const response = await this.options.fetch(this.options.url, { headers, signal: controller.signal, cache: 'no-store' });
      if (response.status === 401) {
        this.options.onUnauthorized?.();
        throw new Error('unauthorized');
      }
      if (response.status === 400 && headers['Last-Event-ID']) {
        // the stored position is refused (not a position at all): start again from the inbox's end; the "ready"
        // event then tells the page to reload what it shows
        this.lastEventId = '';
        this.options.onPositionRejected?.();
        this.attempt = 0;
        retryAfter = 0;
        throw new Error('position refused');
      }
      if (!response.ok || !response.body) {
        if (response.status === 404) this.status('waiting', 'Live updates are not available.');
        // too many streams open (or the service is busy): wait as long as it asks
        const after = Number(response.headers.get('Retry-After'));
        // for this refusal's reconnect whatever the attempt: a second refusal in a row waits as long again
        if ((response.status === 429 || response.status === 503) && after > 0) refusedFor = Math.min(after, 300) * 1000;
        throw new Error(`event stream answered ${response.status}`);
      }
      this.status('open');
      const parser = new SseParser({
        onEvent: (evt) => {
          received = true;
          this.attempt = 0;
          this.lastEventId = evt.id;
          this.options.onEvent?.(evt);
          if (evt.id !== '') this.options.onPosition?.(evt.id);
        },
        onComment: () => {
          received = true;
        },
        // the server's wait for the next reconnect only (retry: 0 when a stream ended with its token, 30 s when it
        // refused one stream too many): the backoffs after it start from 1 s again, not from the last hint
        onRetry: (ms) => {
          retryAfter = ms;
        },
        lastEventId: this.lastEventId,
      });
      this.parser = parser;
      const reader = response.body.getReader();
      const decoder = new TextDecoder('utf-8');
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.armWatchdog();
        parser.push(decoder.decode(value, { stream: true }));
      }
      parser.push(decoder.decode());
      parser.end();
    } catch (e) {
      // falls through to reconnect; aborted by stop() ends here too
    } finally {
      clearTimeout(this.watchdog);
      // An event without data still moves the resume position (WHATWG rules); an event cut off does not.
      if (this.parser?.lastEventId) this.lastEventId = this.parser.lastEventId;
      this.parser = null;
    }
    if (this.stopped) return;
    if (received) this.attempt = 0;
    const delay = refusedFor !== null ? refusedFor
      : retryAfter !== null && this.attempt === 0 ? retryAfter : backoffDelay(this.attempt);
    this.attempt++;
    this.status('waiting', `Reconnecting in ${Math.round(delay / 1000)} s…`);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
