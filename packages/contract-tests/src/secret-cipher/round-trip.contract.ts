import { describe, expect, it } from 'vitest';
import type { SecretCipher } from '@llm-settings/core';
import type { SecretCipherContractOptions } from './options.js';
import { SECRET, LARGE_VALUE, describeCipherChecks, type CipherSubject } from './support.js';

/** `decrypt(encrypt(x))` is x, for every kind of text. */
export function roundTripChecks<C extends SecretCipher>(_options: SecretCipherContractOptions<C>, subject: CipherSubject<C>): void {
  describe('round trip', () => {
    const values: Array<[string, string]> = [
      ['an ASCII API key', SECRET],
      ['unicode text (accents, CJK, emoji, combining marks, right-to-left)', 'clé 鍵 🔑👩🏽‍💻 e\u0301 مفتاح'],
      ['an empty string', ''],
      ['a 64 KiB value', LARGE_VALUE],
    ];
    for (const [label, value] of values) {
      it(`decrypt - returns the plaintext of encrypt for ${label}`, async () => {
        expect(await subject.cipher.decrypt(await subject.cipher.encrypt(value))).toBe(value);
      });
    }
  });
}

/** What a token looks like, and what it never contains. */
export function tokenChecks<C extends SecretCipher>(_options: SecretCipherContractOptions<C>, subject: CipherSubject<C>): void {
  describe('tokens', () => {
    it('encrypt - returns a non-empty string of printable ASCII without whitespace', async () => {
      for (const value of [SECRET, 'clé 🔑', '']) {
        const token = await subject.cipher.encrypt(value);
        expect(typeof token).toBe('string');
        expect(token).toMatch(/^[\x21-\x7e]+$/);
      }
    });

    it('encrypt - gives a different token each time for the same plaintext', async () => {
      const tokens = await Promise.all([1, 2, 3].map(() => subject.cipher.encrypt(SECRET)));
      expect(new Set(tokens).size).toBe(3);
    });

    it('encrypt - the token contains neither the plaintext nor a plain encoding of it', async () => {
      const token = await subject.cipher.encrypt(SECRET);
      for (const encoding of ['utf8', 'hex', 'base64', 'base64url'] as const) {
        const form = Buffer.from(SECRET).toString(encoding).replace(/=+$/, '');
        expect(token).not.toContain(form);
        expect(token.toLowerCase()).not.toContain(form.toLowerCase());
      }
    });
  });
}

/** Concurrent calls each get their own result. */
export function concurrencyChecks<C extends SecretCipher>(_options: SecretCipherContractOptions<C>, subject: CipherSubject<C>): void {
  describe('concurrency', () => {
    it('encrypt and decrypt - concurrent calls each get their own result', async () => {
      const plaintexts = Array.from({ length: 64 }, (_, i) => `${SECRET}-${i}-${'x'.repeat(i * 13)}`);
      const tokens = await Promise.all(plaintexts.map((p) => subject.cipher.encrypt(p)));
      const mixed = await Promise.all([
        ...tokens.map((t) => subject.cipher.decrypt(t)),
        ...plaintexts.map((p) => subject.cipher.encrypt(p).then((t) => subject.cipher.decrypt(t))),
      ]);
      expect(mixed).toEqual([...plaintexts, ...plaintexts]);
    });
  });
}

/**
 * Registers the checks that `decrypt` returns what `encrypt` took, in tokens that show nothing of it, under concurrent calls too.
 * Call it at the top level of a test file.
 */
export function describeSecretCipherRoundTrip<C extends SecretCipher>(options: SecretCipherContractOptions<C>): void {
  describeCipherChecks(options, roundTripChecks, tokenChecks, concurrencyChecks);
}
