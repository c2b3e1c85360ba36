import { createHash, webcrypto } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { ConfigError } from '@llm-settings/core';

/** Shortest HS256 secret: 32 characters, as much as the SHA-256 the signature is made of. */
export const MIN_TOKEN_SECRET_LENGTH = 32;

/**
 * The secrets of a comma-separated list (or an array), in order: the first signs, all verify.
 * @throws ConfigError naming the unusable entries by position, never by value.
 */
export function parseTokenSecrets(value: string | readonly string[]): string[] {
  const secrets = (typeof value === 'string' ? value.split(',') : [...value]).map((secret) => secret.trim());
  if (secrets.length === 0) throw new ConfigError('At least one token secret is needed.');
  const short = secrets.flatMap((secret, index) => (secret.length < MIN_TOKEN_SECRET_LENGTH ? [index + 1] : []));
  if (short.length > 0) {
    const which = short.length === 1 ? `entry ${short[0]} is` : `entries ${short.join(', ')} are`;
    throw new ConfigError(`Token secrets must each be at least ${MIN_TOKEN_SECRET_LENGTH} characters; ${which} shorter.`);
  }
  return secrets;
}

/** One HS256 secret, imported once, and the key id (`kid`) its tokens carry. */
export interface HmacKey {
  readonly kid: string;
  readonly key: Promise<CryptoKey>;
}

/**
 * The secrets as HMAC keys, each imported once as the WebCrypto key jose signs and verifies
 * with: given the secret's bytes or a Node KeyObject, jose imports it again for every token
 * (one verify took 105 and 183 µs that way, 76 µs with the key imported once). The key id
 * lets a verifier pick the one key a token names instead of trying each; it is a digest of
 * the secret, which tells no more than the signature does.
 */
export function hmacKeyRing(value: string | readonly string[]): HmacKey[] {
  return parseTokenSecrets(value).map((secret) => ({
    kid: createHash('sha256').update(`llm-settings token key:${secret}`).digest('base64url').slice(0, 16),
    key: webcrypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
  }));
}
