import { concatBytes } from '../bytes.js';
import { DecryptionError } from '../errors.js';
import type { RotatingSecretCipher } from '../ports/secret-cipher.port.js';

/*
 * The reference cipher: AES-256-GCM through the Web Crypto global, so core stays
 * free of imports. Token: base64url(key id (4 bytes) | iv (12 bytes) | ciphertext+tag).
 */
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;

export interface MemoryCipherOptions {
  /**
   * Passphrases of the key ring; the first encrypts, all decrypt.
   * @default one random key
   */
  keys?: readonly string[];
}

interface RingKey {
  id: Uint8Array;
  key: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
}

export function createMemoryCipher(options: MemoryCipherOptions = {}): RotatingSecretCipher {
  const passphrases = options.keys ?? [crypto.randomUUID()];
  if (passphrases.length === 0) throw new Error('createMemoryCipher needs at least one key');
  const ring = Promise.all(passphrases.map(deriveKey));
  const currentId = keyIdOf(passphrases[0]!);

  const open = async (token: string): Promise<string> => {
    const bytes = decodeBase64Url(token);
    if (!bytes || bytes.length < KEY_ID_BYTES + IV_BYTES + 16) throw new DecryptionError();
    const entry = (await ring).find((k) => equalBytes(k.id, bytes.subarray(0, KEY_ID_BYTES)));
    if (!entry) throw new DecryptionError();
    try {
      const iv = bytes.subarray(KEY_ID_BYTES, KEY_ID_BYTES + IV_BYTES);
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, entry.key, bytes.subarray(KEY_ID_BYTES + IV_BYTES));
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      // No cause: a refusal reads the same whatever refused the token (the port's promise).
      throw new DecryptionError();
    }
  };
  const seal = async (plaintext: string): Promise<string> => {
    const [current] = await ring;
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, current!.key, new TextEncoder().encode(plaintext)),
    );
    return encodeBase64Url(concatBytes(current!.id, iv, sealed));
  };

  return {
    encrypt: seal,
    decrypt: open,
    async rotate(token) {
      return seal(await open(token));
    },
    isCurrent(token) {
      const bytes = decodeBase64Url(token);
      return bytes !== null && equalBytes(currentId, bytes.subarray(0, KEY_ID_BYTES));
    },
  };
}

async function deriveKey(passphrase: string): Promise<RingKey> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(passphrase)));
  const key = await crypto.subtle.importKey('raw', digest, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { id: keyIdOf(passphrase), key };
}

/** FNV-1a of the passphrase: a synchronous id, so isCurrent needs no await. */
function keyIdOf(passphrase: string): Uint8Array {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(passphrase)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return new Uint8Array([hash >>> 24, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff]);
}


function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function encodeBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
