import { isUtf8 } from 'node:buffer';
import { ConfigError, DecryptionError } from '@llm-settings/core';
import type { RotatingSecretCipher } from '@llm-settings/core';
import { parseFernetKeys } from './fernet-key.js';
import { hasValidMac, isFresh, openToken, prepareKey, readToken, sealToken, timestampBytes, type FernetKeyPair } from './fernet-token.js';

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

  const authenticated = new AuthenticatedTokens();

  /**
   * MultiFernet's loop: the first key whose MAC matches and whose padding holds opens it.
   * A token opened before skips the loop's HMAC but is decrypted again.
   */
  const openWithRing = (token: string, data: Buffer, known: KnownToken | undefined): Buffer => {
    const opened = known === undefined ? null : openToken(known.key, data);
    if (opened !== null) return opened;
    for (const key of ring) {
      const plaintext = hasValidMac(key, data) ? openToken(key, data) : null;
      if (plaintext === null) continue;
      authenticated.remember(token, { key, data });
      return plaintext;
    }
    throw new DecryptionError();
  };

  /** A token sealed here carries the current key's MAC: it is authenticated as it is made. */
  const encryptSync = (plaintext: string): string => {
    const token = sealToken(current, Buffer.from(plaintext, 'utf8'), nowSeconds());
    authenticated.remember(token, { key: current, data: readToken(token)! });
    return token;
  };

  const decryptSync = (token: string): string => {
    const known = authenticated.get(token);
    const data = known?.data ?? readToken(token);
    if (data === null || (ttlSeconds !== undefined && !isFresh(data, ttlSeconds, nowSeconds()))) {
      throw new DecryptionError();
    }
    const plaintext = openWithRing(token, data, known);
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
      return sealToken(current, openWithRing(token, data, authenticated.get(token)), timestampBytes(data));
    },
    isCurrent(token) {
      const data = readToken(token);
      return data !== null && hasValidMac(current, data);
    },
  };
}

/** How many authenticated tokens a cipher remembers: far more than the scopes a service reads often. */
const REMEMBERED_TOKENS = 1024;

/** An authenticated token: the key that made its MAC, and its bytes (read only). */
interface KnownToken {
  readonly key: FernetKeyPair;
  readonly data: Buffer;
}

/**
 * The tokens whose MAC this cipher has checked or made, with the key that made it and their
 * decoded bytes, the oldest forgotten first. A MAC is a fact about a token's bytes, so
 * checking it once is enough; the check is about half of a decryption in the server (an
 * OpenSSL HMAC context per call, about 24 µs there), and `resolve()` decrypts the same stored
 * token on every LLM call, whose base64 is not decoded again either (about 15 µs of a call
 * in a server woken for it). Only tokens are kept, never what they decrypt to; the TTL is
 * still checked per call.
 */
class AuthenticatedTokens {
  private readonly tokens = new Map<string, KnownToken>();

  get(token: string): KnownToken | undefined {
    return this.tokens.get(token);
  }

  /** Keeps `token` as the newest entry, then forgets the oldest beyond the bound. */
  remember(token: string, known: KnownToken): void {
    this.tokens.delete(token);
    this.tokens.set(token, known);
    if (this.tokens.size > REMEMBERED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
  }
}
