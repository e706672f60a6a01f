// The chat-service REST API as the views' tests need it: a fetch that answers from a handler, and the server's
// cursor paging (a page of `limit`, or of the endpoint's default, and a nextCursor while more is left).
// Not a test file itself (no .test.mjs).

/** Installs fetch (and location, which api.js resolves paths against); handler(url) answers with a JSON body. */
export function serve(handler) {
  const requests = [];
  globalThis.location = { origin: 'https://chat.example', hash: '' };
  globalThis.fetch = async (url, init = {}) => {
    const u = new URL(url);
    requests.push(u);
    const body = await handler(u, init);
    if (body instanceof Response) return body;
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  return requests;
}

/** One page of `items` as the server pages it: {[field]: items, nextCursor}. */
export function page(url, field, items, defaultLimit) {
  const from = Number(url.searchParams.get('cursor') || 0);
  const limit = Number(url.searchParams.get('limit') || defaultLimit);
  const end = from + limit;
  return { [field]: items.slice(from, end), nextCursor: end < items.length ? String(end) : null };
}
