import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, EventStream, backoffDelay } from '../../main/resources/META-INF/resources/sse.js';

function collect() {
  const events = [];
  const comments = [];
  const retries = [];
  const parser = new SseParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c), onRetry: (r) => retries.push(r) });
  return { parser, events, comments, retries };
}

const STREAM = ': connected\n\nid: 7\nevent: message\ndata: {"seq":1}\n\n: keep-alive\n\nid: 8\nevent: read\ndata: {"readSeq":1}\n\n';

test('events, ids and names from a whole stream', () => {
  const { parser, events, comments } = collect();
  parser.push(STREAM);
  assert.deepEqual(events, [
    { id: '7', event: 'message', data: '{"seq":1}' },
    { id: '8', event: 'read', data: '{"readSeq":1}' },
  ]);
  assert.deepEqual(comments, ['connected', 'keep-alive'], 'comments arrive as heartbeats');
  assert.equal(parser.lastEventId, '8');
});

test('the same events whatever the chunk boundaries', () => {
  for (let size = 1; size <= 7; size++) {
    const { parser, events, comments } = collect();
    for (let i = 0; i < STREAM.length; i += size) parser.push(STREAM.slice(i, i + size));
    assert.equal(events.length, 2, `chunk size ${size}`);
    assert.equal(events[1].data, '{"readSeq":1}');
    assert.equal(comments.length, 2);
  }
});

test('CRLF split between chunks does not make an empty line', () => {
  const { parser, events } = collect();
  parser.push('data: a\r');
  parser.push('\ndata: b\r');
  parser.push('\n\r');
  parser.push('\n');
  assert.deepEqual(events, [{ id: '', event: 'message', data: 'a\nb' }]);
});

test('multi-line data joins with newlines; field without space; lone CR ends lines', () => {
  const { parser, events } = collect();
  parser.push('data:first\ndata:  second\rdata\n\n');
  assert.deepEqual(events, [{ id: '', event: 'message', data: 'first\n second\n' }]);
});

test('id without data moves the position but dispatches nothing; retry is reported', () => {
  const { parser, events, retries } = collect();
  parser.push('id: 41\n\nretry: 2500\nretry: soon\n\n');
  assert.equal(events.length, 0);
  assert.equal(parser.lastEventId, '41');
  assert.deepEqual(retries, [2500]);
  parser.push('data: x\n\n');
  assert.equal(events[0].id, '41', 'the last id carries over to later events');
});

test('an incomplete event at the end of the stream is discarded', () => {
  const { parser, events } = collect();
  parser.push('id: 3\ndata: partial');
  parser.end();
  assert.equal(events.length, 0);
});

test('a leading byte order mark is ignored', () => {
  const { parser, events } = collect();
  parser.push('\ufeffdata: x\n\n');
  assert.equal(events[0].data, 'x');
});

test('backoff doubles up to the cap', () => {
  const top = () => 1;
  assert.equal(backoffDelay(0, { random: top }), 1000);
  assert.equal(backoffDelay(3, { random: top }), 8000);
  assert.equal(backoffDelay(20, { random: top }), 30000);
  assert.ok(backoffDelay(3, { random: () => 0 }) >= 4000);
});

/** A fake fetch answering one stream per call; records the headers sent. */
function fakeServer(bodies) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push(init.headers);
    const body = bodies.shift();
    if (body === undefined) return new Promise(() => {});
    const enc = new TextEncoder();
    return new Response(new ReadableStream({
      start(controller) {
        for (const chunk of body) controller.enqueue(enc.encode(chunk));
        controller.close();
      },
    }), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  return { fetch, calls };
}

/** The first n events an EventStream with a bearer token receives from the fake server; then it stops. */
function firstEvents(server, n, options = {}) {
  const seen = [];
  return new Promise((resolve) => {
    const stream = new EventStream({
      url: 'http://test/v1/events',
      getToken: async () => 'tok',
      fetch: server.fetch,
      ...options,
      onEvent: (e) => {
        seen.push(e);
        if (seen.length === n) {
          stream.stop();
          resolve(seen);
        }
      },
    });
    stream.start();
  });
}

test('the stream sends the bearer token and resumes with Last-Event-ID after a drop', async () => {
  const server = fakeServer([[': connected\n\n', 'id: 5\nevent: message\nda', 'ta: {"a":1}\n\nretry: 10\n\n'], ['id: 6\nevent: typing\ndata: {}\n\n']]);
  const seen = await firstEvents(server, 2, { lastEventId: '4' });
  assert.equal(server.calls[0].Authorization, 'Bearer tok');
  assert.equal(server.calls[0]['Last-Event-ID'], '4');
  assert.equal(server.calls[1]['Last-Event-ID'], '5', 'reconnects from the last id it saw');
  assert.deepEqual(seen.map((e) => [e.id, e.event]), [['5', 'message'], ['6', 'typing']]);
});

test('an event cut off by the end of the stream does not move the position', () => {
  const { parser, events } = collect();
  parser.push('id: 5\nevent: message\ndata: {"a":1}\n\nid: 6\nevent: message\ndata: {"b"');
  parser.end();
  assert.deepEqual(events.map((e) => e.id), ['5']);
  assert.equal(parser.lastEventId, '5', 'the cut event (6) is not counted as seen');
  parser.push('data: x\n\n');
  assert.equal(events[1].id, '5', 'nor does its id reach a later event');
});

test('a stream cut in the middle of an event resumes before that event', async () => {
  const server = fakeServer([['id: 5\nevent: message\ndata: {"a":1}\n\n', 'id: 6\nevent: message\ndata: {"b"'],
    ['id: 6\nevent: message\ndata: {"b":2}\n\n']]);
  const seen = await firstEvents(server, 2);
  assert.equal(server.calls[1]['Last-Event-ID'], '5', 'resumes after the last whole event');
  assert.deepEqual(seen.map((e) => [e.id, e.data]), [['5', '{"a":1}'], ['6', '{"b":2}']]);
});

test('a refused position (400: not a position) is forgotten and the stream starts again from the end at once', async () => {
  const calls = [];
  const enc = new TextEncoder();
  const fetch = async (url, init) => {
    calls.push(init.headers);
    if (calls.length === 1) {
      return new Response('{"type":"https://commercechat.example/problems/invalid-request"}',
        { status: 400, headers: { 'Content-Type': 'application/problem+json' } });
    }
    if (calls.length > 2) return new Promise(() => {});
    return new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(enc.encode('id: 3\nevent: ready\ndata: {"position":3}\n\n'));
        controller.close();
      },
    }), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  let rejected = 0;
  const started = Date.now();
  const seen = await new Promise((resolve) => {
    const stream = new EventStream({
      url: 'http://test/v1/events?after=now',
      getToken: async () => 'tok',
      lastEventId: 'abc',
      fetch,
      onPositionRejected: () => rejected++,
      onEvent: (e) => {
        stream.stop();
        resolve(e);
      },
    });
    stream.start();
  });
  assert.equal(calls[0]['Last-Event-ID'], 'abc');
  assert.equal(calls[1]['Last-Event-ID'], undefined, 'the second request starts from the end (no position)');
  assert.equal(rejected, 1);
  assert.equal(seen.event, 'ready');
  assert.ok(Date.now() - started < 900, 'reconnected without the backoff');
});

test('every 429 in a row is retried after its own Retry-After, not after the backoff', async () => {
  const calls = [];
  const delays = [];
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = (fn, ms) => {
    if (ms >= 1000 && ms !== 45000) delays.push(ms);
    return realSetTimeout(fn, 0);
  };
  try {
    await new Promise((resolve) => {
      const stream = new EventStream({
        url: 'http://test/v1/events',
        getToken: async () => 'tok',
        fetch: async (url, init) => {
          calls.push(init.headers);
          if (calls.length <= 2) {
            return new Response('{}', { status: 429, headers: { 'Retry-After': '30', 'Content-Type': 'application/problem+json' } });
          }
          stream.stop();
          resolve();
          return new Promise(() => {});
        },
      });
      stream.start();
    });
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(calls.length, 3);
  assert.deepEqual(delays, [30000, 30000], 'the second refusal is waited out too');
});

test('a server\'s retry hint holds for the next reconnect only, not for the tab\'s life', async () => {
  // first stream: refused as one too many (EventResource: ": too many streams" with retry: 30000); second: an event,
  // then the connection drops; the reconnect after that waits the usual first backoff (0.5–1 s), not 15–30 s
  const server = fakeServer([[': too many streams\nretry: 30000\n\n'], ['id: 7\nevent: message\ndata: {}\n\n']]);
  const delays = [];
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = (fn, ms) => {
    if (ms === 60000) return realSetTimeout(fn, ms);  // the heartbeat watchdog, cleared when a stream ends
    delays.push(ms);
    return realSetTimeout(fn, 0);
  };
  let stream;
  try {
    await new Promise((resolve) => {
      stream = new EventStream({
        url: 'http://test/v1/events',
        getToken: async () => 'tok',
        heartbeatTimeoutMs: 60000,
        fetch: async (url, init) => {
          if (server.calls.length === 2) resolve();  // the third connection: the waits before it are known
          return server.fetch(url, init);
        },
      });
      stream.start();
    });
  } finally {
    stream.stop();
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(server.calls.length, 3);
  assert.equal(delays[0], 30000, 'the hint is followed once');
  assert.ok(delays[1] >= 500 && delays[1] <= 1000, `then the usual backoff, not ${delays[1]} ms`);
});
