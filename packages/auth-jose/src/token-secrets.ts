import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
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
  readonly key: KeyObject;
}

/**
 * The secrets as HMAC keys, imported once: importing a key per token would cost more than
 * verifying it. Node's KeyObject, not a WebCrypto CryptoKey: jose then signs with
 * node:crypto in the same turn, where WebCrypto's thread-pool round trip alone cost more
 * than the 30 µs a request may spend on its token. The key id lets a verifier pick the one key a token names instead of
 * trying each; it is a digest of the secret, which tells no more than the signature does.
 */
export function hmacKeyRing(value: string | readonly string[]): HmacKey[] {
  return parseTokenSecrets(value).map((secret) => ({
    kid: createHash('sha256').update(`llm-settings token key:${secret}`).digest('base64url').slice(0, 16),
    key: createSecretKey(Buffer.from(secret, 'utf8')),
  }));
}
