import type { FetchImplementation } from 'jose';
import { TokenRefusal } from './token-refusal.js';

/**
 * Largest identity provider key set read, in bytes (as received, after any decompression):
 * a real one holds a few keys, some kilobytes.
 */
export const MAX_KEY_SET_BYTES = 1024 * 1024;

/**
 * jose's fetch of the key set, given to createRemoteJWKSet: the same request (jose's
 * `redirect: 'manual'`, timeout signal and headers pass through unchanged), but the body is
 * read as a stream and dropped, connection closed, once past `maxBytes`. jose's own fetch
 * reads it whole (`response.json()`): a 200 MB key set took a server to 820 MB.
 * A body read past its deadline rejects with the signal's TimeoutError, which jose reports
 * as its timeout, as before.
 */
export function boundedKeySetFetch(maxBytes: number): FetchImplementation {
  return async (url, options) => {
    const response = await fetch(url, options);
    // jose refuses any other status without reading the body.
    if (response.status !== 200 || response.body === null) return response;
    return new Response(await readAtMost(response.body, maxBytes), { status: 200 });
  };
}

async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, length);
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw new TokenRefusal('key set too large', true);
    }
    chunks.push(value);
  }
}
