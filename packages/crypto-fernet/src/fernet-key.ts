import { randomBytes } from 'node:crypto';
import { ConfigError } from '@llm-settings/core';
import { decodeBase64Url, encodeBase64UrlPadded } from './base64.js';

/** Bytes in a Fernet key: 16 for the HMAC-SHA256 signing key, 16 for the AES-128 key. */
export const FERNET_KEY_BYTES = 32;

/**
 * The key the documentation shows as an example: valid syntax (url-safe base64 of
 * "llm-settings-example-key-replace"), refused by {@link parseFernetKeys} so that a
 * copied example never protects real secrets.
 */
export const EXAMPLE_FERNET_KEY = 'bGxtLXNldHRpbmdzLWV4YW1wbGUta2V5LXJlcGxhY2U=';

const BASE64_TEXT = /^[A-Za-z0-9_\-+/]+={0,2}$/;
const HOW_TO_GENERATE = 'generate one with generateFernetKey() or Python\'s Fernet.generate_key()';

/** A new random Fernet key: 32 bytes as url-safe base64 with padding (44 characters). */
export function generateFernetKey(): string {
  return encodeBase64UrlPadded(randomBytes(FERNET_KEY_BYTES));
}

/**
 * Validates a key ring and returns the raw 32-byte keys in order (the first encrypts).
 * @param value a comma-separated list of Fernet keys, or an array of them; blanks
 *   around each key are ignored.
 * @throws ConfigError when the list is empty, a key is blank, is not url-safe base64,
 *   is not 32 bytes, is the documentation's example key or a single repeated byte, or
 *   appears twice. Messages name keys by position, never by value.
 */
export function parseFernetKeys(value: string | readonly string[]): Buffer[] {
  const entries: readonly unknown[] = typeof value === 'string' ? (value.trim() === '' ? [] : value.split(',')) : value;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new ConfigError(`No Fernet key is configured; ${HOW_TO_GENERATE}.`);
  }
  const example = decodeBase64Url(EXAMPLE_FERNET_KEY)!;
  const keys: Buffer[] = [];
  entries.forEach((entry, index) => {
    const name = `Fernet key ${index + 1} of ${entries.length}`;
    const key = parseOneKey(entry, name);
    if (key.equals(example)) {
      throw new ConfigError(`${name} is the example key from the documentation, which is public; ${HOW_TO_GENERATE}.`);
    }
    if (key.every((byte) => byte === key[0])) {
      throw new ConfigError(`${name} is one byte repeated, which is not a secret; ${HOW_TO_GENERATE}.`);
    }
    const earlier = keys.findIndex((other) => other.equals(key));
    if (earlier >= 0) {
      throw new ConfigError(`Fernet keys ${earlier + 1} and ${index + 1} are the same key; list each key once.`);
    }
    keys.push(key);
  });
  return keys;
}

function parseOneKey(entry: unknown, name: string): Buffer {
  if (typeof entry !== 'string') throw new ConfigError(`${name} is not a string.`);
  const text = entry.trim();
  if (text === '') throw new ConfigError(`${name} is empty; check for a stray comma.`);
  if (!BASE64_TEXT.test(text)) {
    throw new ConfigError(`${name} is not url-safe base64: only A-Z, a-z, 0-9, '-' and '_' ('+' and '/' also pass) and '=' padding may appear.`);
  }
  const key = decodeBase64Url(text);
  if (key === null) {
    throw new ConfigError(`${name} is not valid url-safe base64 (check its padding): a Fernet key is 44 characters ending in '='.`);
  }
  if (key.length !== FERNET_KEY_BYTES) {
    throw new ConfigError(
      `${name} decodes to ${key.length} bytes; a Fernet key is ${FERNET_KEY_BYTES} bytes (44 url-safe base64 characters).`,
    );
  }
  return key;
}
