// Decodes a compact JWS (a consent receipt) for display. The signature is not verified here: the
// receipt is verifiable by anyone with the published key; this view only shows what it says.

import { base64UrlDecodeToString } from './auth.js';

export function decodeJws(jws) {
  const parts = String(jws || '').trim().split('.');
  if (parts.length !== 3) throw new Error('A receipt must be a compact JWS with three parts.');
  return {
    header: JSON.parse(base64UrlDecodeToString(parts[0])),
    payload: JSON.parse(base64UrlDecodeToString(parts[1])),
    signature: parts[2],
  };
}
