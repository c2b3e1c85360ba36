import { isUtf8 } from 'node:buffer';
import { ConfigError, DecryptionError } from '@llm-settings/core';
import type { RotatingSecretCipher } from '@llm-settings/core';
import { parseFernetKeys } from './fernet-key.js';
import { hasValidMac, isFresh, openToken, prepareKey, readToken, sealToken, timestampBytes } from './fernet-token.js';

export interface FernetCipherOptions {
  /**
   * The key ring: a comma-separated list or an array of Fernet keys (44-character
   * url-safe base64, as `generateFernetKey()` or Python's `Fernet.generate_key()` make).
   * The first key encrypts; every key decrypts.
   */
  keys: string | readonly string[];
  /**
   * Maximum token age in seconds accepted by `decrypt`; with a TTL, tokens stamped more
   * than 60 seconds in the future are refused too (the spec's clock skew). `rotate`
   * ignores it, as `MultiFernet.rotate` does.
   * @default undefined (tokens never expire)
   */
  ttlSeconds?: number;
  /**
   * Clock in milliseconds since the epoch, for the token timestamp and the TTL check.
   * @default Date.now
   */
  now?: () => number;
}

/** A Fernet key ring, interoperable with Python's `cryptography.fernet.MultiFernet`. */
export interface FernetCipher extends RotatingSecretCipher {
  /** {@link RotatingSecretCipher.encrypt}, synchronously. */
  encryptSync(plaintext: string): string;
  /**
   * {@link RotatingSecretCipher.decrypt}, synchronously.
   * @throws DecryptionError as `decrypt` does, also when the plaintext is not UTF-8.
   */
  decryptSync(token: string): string;
}

/**
 * Creates a Fernet cipher over the given key ring. Strings are encrypted as UTF-8
 * (a lone surrogate becomes U+FFFD, as `Buffer.from` does).
 * @throws ConfigError when a key or the TTL is invalid (see `parseFernetKeys`).
 */
export function createFernetCipher(options: FernetCipherOptions): FernetCipher {
  const ring = parseFernetKeys(options.keys).map(prepareKey);
  const current = ring[0]!;
  const { ttlSeconds, now = Date.now } = options;
  if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
    throw new ConfigError('The Fernet TTL must be a positive number of seconds, or left unset for no expiry.');
  }
  const nowSeconds = () => Math.floor(now() / 1000);

  /** MultiFernet's loop: the first key whose MAC matches and whose padding holds opens it. */
  const openWithRing = (data: Buffer): Buffer => {
    for (const key of ring) {
      const plaintext = hasValidMac(key, data) ? openToken(key, data) : null;
      if (plaintext !== null) return plaintext;
    }
    throw new DecryptionError();
  };

  const encryptSync = (plaintext: string): string => sealToken(current, Buffer.from(plaintext, 'utf8'), nowSeconds());

  const decryptSync = (token: string): string => {
    const data = readToken(token);
    if (data === null || (ttlSeconds !== undefined && !isFresh(data, ttlSeconds, nowSeconds()))) {
      throw new DecryptionError();
    }
    const plaintext = openWithRing(data);
    if (!isUtf8(plaintext)) throw new DecryptionError();
    return plaintext.toString('utf8');
  };

  return {
    encryptSync,
    decryptSync,
    async encrypt(plaintext) {
      return encryptSync(plaintext);
    },
    async decrypt(token) {
      return decryptSync(token);
    },
    async rotate(token) {
      const data = readToken(token);
      if (data === null) throw new DecryptionError();
      return sealToken(current, openWithRing(data), timestampBytes(data));
    },
    isCurrent(token) {
      const data = readToken(token);
      return data !== null && hasValidMac(current, data);
    },
  };
}
