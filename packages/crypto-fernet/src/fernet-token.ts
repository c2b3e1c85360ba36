/*
 * The Fernet token format (https://github.com/fernet/spec/blob/master/Spec.md):
 *   0x80 | timestamp (u64 big-endian seconds) | IV (16) | AES-128-CBC/PKCS7 ciphertext | HMAC-SHA256 (32)
 * encoded as url-safe base64 with padding; the HMAC covers every byte before it.
 * Internal module: the cipher builds on it, and tests use `sealToken`'s explicit IV and
 * timestamp to reproduce the specification's vectors. Not part of the public API.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomFillSync, timingSafeEqual } from 'node:crypto';
import type { Decipher, KeyObject } from 'node:crypto';
import { decodeBase64Url, encodeBase64UrlPadded } from './base64.js';

const VERSION = 0x80;
const TIMESTAMP_OFFSET = 1;
const IV_OFFSET = 9;
const IV_BYTES = 16;
const HEADER_BYTES = IV_OFFSET + IV_BYTES;
const BLOCK_BYTES = 16;
const MAC_BYTES = 32;
/** Spec: a token stamped this many seconds after "now" is refused when a TTL applies. */
const MAX_CLOCK_SKEW_SECONDS = 60;

/** One key of the ring, split and imported once so every operation reuses the key objects. */
export interface FernetKeyPair {
  readonly signingKey: KeyObject;
  readonly encryptionKey: KeyObject;
  /** AES-128 of whole blocks under `encryptionKey` (ECB, no padding), made once: see {@link openToken}. */
  readonly blockDecipher: Decipher;
}

/** Splits a raw 32-byte Fernet key into its signing (first half) and encryption (second half) keys. */
export function prepareKey(raw: Buffer): FernetKeyPair {
  const encryptionKey = createSecretKey(raw.subarray(16, 32));
  return {
    signingKey: createSecretKey(raw.subarray(0, 16)),
    encryptionKey,
    blockDecipher: createDecipheriv('aes-128-ecb', encryptionKey, null).setAutoPadding(false),
  };
}

/**
 * Encrypts `plaintext` into a token.
 * @param timestamp seconds since the epoch, or the 8 timestamp bytes of a token being rotated.
 * @param iv the IV; omit it (random) everywhere except the specification's test vectors.
 */
export function sealToken(key: FernetKeyPair, plaintext: Buffer, timestamp: number | Uint8Array, iv?: Uint8Array): string {
  const cipherLength = (Math.floor(plaintext.length / BLOCK_BYTES) + 1) * BLOCK_BYTES;
  const token = Buffer.allocUnsafe(HEADER_BYTES + cipherLength + MAC_BYTES);
  token[0] = VERSION;
  if (typeof timestamp === 'number') {
    token.writeUInt32BE(Math.floor(timestamp / 2 ** 32), TIMESTAMP_OFFSET);
    token.writeUInt32BE(timestamp % 2 ** 32, TIMESTAMP_OFFSET + 4);
  } else {
    token.set(timestamp, TIMESTAMP_OFFSET);
  }
  if (iv === undefined) takeRandomIv(token, IV_OFFSET);
  else token.set(iv, IV_OFFSET);

  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, token.subarray(IV_OFFSET, HEADER_BYTES));
  const body = cipher.update(plaintext);
  body.copy(token, HEADER_BYTES);
  cipher.final().copy(token, HEADER_BYTES + body.length);

  const macOffset = HEADER_BYTES + cipherLength;
  createHmac('sha256', key.signingKey).update(token.subarray(0, macOffset)).digest().copy(token, macOffset);
  return encodeBase64UrlPadded(token);
}

/*
 * One call to the CSPRNG costs about as much as the AES step of a small token, so IVs
 * are drawn 256 at a time from a pool; each IV is handed out once.
 */
const ivPool = Buffer.allocUnsafe(IV_BYTES * 256);
let ivPoolOffset = ivPool.length;

function takeRandomIv(target: Buffer, offset: number): void {
  if (ivPoolOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivPoolOffset = 0;
  }
  ivPool.copy(target, offset, ivPoolOffset, ivPoolOffset + IV_BYTES);
  ivPoolOffset += IV_BYTES;
}

/**
 * Decodes a token and checks its framing (version, length, whole cipher blocks).
 * @returns the token's bytes, not yet authenticated; null when it cannot be a Fernet token.
 */
export function readToken(token: unknown): Buffer | null {
  if (typeof token !== 'string') return null;
  const data = decodeBase64Url(token);
  if (data === null || data.length < HEADER_BYTES + BLOCK_BYTES + MAC_BYTES || data[0] !== VERSION) return null;
  return (data.length - HEADER_BYTES - MAC_BYTES) % BLOCK_BYTES === 0 ? data : null;
}

/** Whether the token's HMAC was made with this key, compared in constant time. */
export function hasValidMac(key: FernetKeyPair, data: Buffer): boolean {
  const macOffset = data.length - MAC_BYTES;
  const expected = createHmac('sha256', key.signingKey).update(data.subarray(0, macOffset)).digest();
  return timingSafeEqual(expected, data.subarray(macOffset));
}

/**
 * Decrypts an authenticated token (call {@link hasValidMac} first): AES-128-CBC with PKCS7
 * padding, as CBC is defined, each block's AES decryption XORed with the ciphertext block
 * before it (the IV for the first), on the key's one block decipher. A CBC decipher would be
 * set up per call (OpenSSL's context and key schedule), which took about 35 µs more of each
 * pass-through call in a server woken for it: `resolve()` decrypts the stored key on every
 * LLM call.
 * The padding is checked after the MAC, so its failure tells a caller nothing.
 * @returns the plaintext, or null when the padding is wrong.
 */
export function openToken(key: FernetKeyPair, data: Buffer): Buffer | null {
  const plaintext = key.blockDecipher.update(data.subarray(HEADER_BYTES, data.length - MAC_BYTES));
  // Block i's previous block sits 16 bytes before it in the token: the IV for block 0.
  for (let i = 0; i < plaintext.length; i++) plaintext[i]! ^= data[IV_OFFSET + i]!;
  const padding = plaintext[plaintext.length - 1]!;
  if (padding < 1 || padding > BLOCK_BYTES) return null;
  for (let i = plaintext.length - padding; i < plaintext.length; i++) if (plaintext[i] !== padding) return null;
  return plaintext.subarray(0, plaintext.length - padding);
}

/** The token's 8 timestamp bytes, to keep them when rotating. */
export function timestampBytes(data: Buffer): Buffer {
  return data.subarray(TIMESTAMP_OFFSET, IV_OFFSET);
}

/**
 * Whether the token is fresh at `nowSeconds` under the spec's rules: not older than
 * `ttlSeconds` and not stamped more than 60 seconds in the future.
 */
export function isFresh(data: Buffer, ttlSeconds: number, nowSeconds: number): boolean {
  const stamped = data.readUInt32BE(TIMESTAMP_OFFSET) * 2 ** 32 + data.readUInt32BE(TIMESTAMP_OFFSET + 4);
  return stamped + ttlSeconds >= nowSeconds && stamped <= nowSeconds + MAX_CLOCK_SKEW_SECONDS;
}
