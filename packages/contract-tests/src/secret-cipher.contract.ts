import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptionError, ErrorCodes, isRotatingCipher } from '@llm-settings/core';
import type { SecretCipher } from '@llm-settings/core';

export interface SecretCipherContractOptions {
  /** Shown in the suite title. */
  name: string;
  /** Builds the cipher under test; called once for the suite. */
  create: () => SecretCipher | Promise<SecretCipher>;
  /**
   * Builds a cipher of the same kind under a different key, to check that its tokens are
   * refused. The test that needs it is skipped when it is not given.
   */
  createWithOtherKey?: () => SecretCipher | Promise<SecretCipher>;
  /** Releases what `create` acquired; called once after the suite. */
  teardown?: () => void | Promise<void>;
}

/** A plaintext that looks like an API key, so a leak of it is easy to spot. */
const SECRET = 'sk-ant-CONTRACT-0123456789-abcdefghijklmnopqrstuvwxyz';
/** 64 KiB of UTF-8 mixing one-, two-, three- and four-byte characters (1+2+3+4 = 10 bytes a round). */
const LARGE_VALUE = 'aé€😀'.repeat(6553) + 'abcdef';

/**
 * Registers the tests every {@link SecretCipher} must pass. Ciphers that also implement
 * `RotatingSecretCipher` get the rotation tests too; for others those are skipped.
 * Call it at the top level of a test file.
 */
export function describeSecretCipherContract(options: SecretCipherContractOptions): void {
  describe(`SecretCipher contract: ${options.name}`, () => {
    let cipher: SecretCipher;

    beforeAll(async () => {
      cipher = await options.create();
    });

    afterAll(async () => {
      await options.teardown?.();
    });

    describe('round trip', () => {
      const values: Array<[string, string]> = [
        ['an ASCII API key', SECRET],
        ['unicode text (accents, CJK, emoji, combining marks, right-to-left)', 'clé 鍵 🔑👩🏽‍💻 e\u0301 مفتاح'],
        ['an empty string', ''],
        ['a 64 KiB value', LARGE_VALUE],
      ];
      for (const [label, value] of values) {
        it(`decrypt - returns the plaintext of encrypt for ${label}`, async () => {
          expect(await cipher.decrypt(await cipher.encrypt(value))).toBe(value);
        });
      }
    });

    describe('tokens', () => {
      it('encrypt - returns a non-empty string of printable ASCII without whitespace', async () => {
        for (const value of [SECRET, 'clé 🔑', '']) {
          const token = await cipher.encrypt(value);
          expect(typeof token).toBe('string');
          expect(token).toMatch(/^[\x21-\x7e]+$/);
        }
      });

      it('encrypt - gives a different token each time for the same plaintext', async () => {
        const tokens = await Promise.all([1, 2, 3].map(() => cipher.encrypt(SECRET)));
        expect(new Set(tokens).size).toBe(3);
      });

      it('encrypt - the token contains neither the plaintext nor a plain encoding of it', async () => {
        const token = await cipher.encrypt(SECRET);
        for (const encoding of ['utf8', 'hex', 'base64', 'base64url'] as const) {
          const form = Buffer.from(SECRET).toString(encoding).replace(/=+$/, '');
          expect(token).not.toContain(form);
          expect(token.toLowerCase()).not.toContain(form.toLowerCase());
        }
      });
    });

    describe('rejection', () => {
      const invalidTokens = async (): Promise<Array<[string, unknown]>> => {
        const token = await cipher.encrypt(SECRET);
        return [
          ...tamperedVariants(token).map((t, i): [string, unknown] => [`tampered #${i + 1}`, t]),
          ['truncated by one character', token.slice(0, -1)],
          ['truncated by four characters', token.slice(0, -4)],
          ['truncated to half', token.slice(0, Math.floor(token.length / 2))],
          ['empty', ''],
          ['garbage text', 'not-a-token'],
          ['percent signs', '%%%%%%%%'],
          ['a long run of one letter', 'A'.repeat(200)],
          ['random base64url', Buffer.from(Array.from({ length: 120 }, (_, i) => (i * 37 + 11) % 256)).toString('base64url')],
          ['an emoji', '🔑'],
          ['whitespace', '   '],
          ['JSON', '{"token":null}'],
          ['null', null],
          ['undefined', undefined],
          ['a number', 42],
          ['an object', {}],
        ];
      };

      it('decrypt - rejects tampered, truncated, empty, garbage and non-string tokens with DecryptionError', async () => {
        for (const [label, token] of await invalidTokens()) {
          const error = await decryptFailure(cipher, token, label);
          expect(error, label).toBeInstanceOf(DecryptionError);
          expect((error as DecryptionError).code, label).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
        }
      });

      it('decrypt - the error for a rejected token never contains the plaintext', async () => {
        for (const [label, token] of await invalidTokens()) {
          const error = (await decryptFailure(cipher, token, label)) as Error;
          for (const text of errorTexts(error)) {
            expect(text, label).not.toContain(SECRET);
            expect(text, label).not.toContain(SECRET.slice(-12));
          }
        }
      });

      it.skipIf(!options.createWithOtherKey)('decrypt - rejects a token made under another key with DecryptionError', async () => {
        const other = await options.createWithOtherKey!();
        const error = await decryptFailure(cipher, await other.encrypt(SECRET), 'token under another key');
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as DecryptionError).code).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
        for (const text of errorTexts(error as Error)) expect(text).not.toContain(SECRET);
      });
    });

    describe('concurrency', () => {
      it('encrypt and decrypt - concurrent calls each get their own result', async () => {
        const plaintexts = Array.from({ length: 64 }, (_, i) => `${SECRET}-${i}-${'x'.repeat(i * 13)}`);
        const tokens = await Promise.all(plaintexts.map((p) => cipher.encrypt(p)));
        const mixed = await Promise.all([
          ...tokens.map((t) => cipher.decrypt(t)),
          ...plaintexts.map((p) => cipher.encrypt(p).then((t) => cipher.decrypt(t))),
        ]);
        expect(mixed).toEqual([...plaintexts, ...plaintexts]);
      });
    });

    describe('rotation (RotatingSecretCipher only)', () => {
      it('isCurrent - is true for a token just encrypted', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip();
        expect(cipher.isCurrent(await cipher.encrypt(SECRET))).toBe(true);
      });

      it('rotate - returns a current token that decrypts to the same plaintext', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip();
        const rotated = await cipher.rotate(await cipher.encrypt(SECRET));
        expect(cipher.isCurrent(rotated)).toBe(true);
        expect(await cipher.decrypt(rotated)).toBe(SECRET);
      });

      // isCurrent is a cheap key check made without decrypting, so an adapter may not see
      // that a token under its current key was tampered with; decrypt and rotate reject those.
      it('isCurrent - is false, without throwing, for tokens under another key and for non-tokens', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip();
        const others: unknown[] = ['', 'not-a-token', '%%%%', '🔑', null, undefined, 42, {}];
        if (options.createWithOtherKey) others.push(await (await options.createWithOtherKey()).encrypt(SECRET));
        for (const other of others) expect(cipher.isCurrent(other as string)).toBe(false);
      });

      it('rotate - rejects a token no key opens with DecryptionError', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip();
        const token = await cipher.encrypt(SECRET);
        for (const bad of ['', 'not-a-token', ...tamperedVariants(token)]) {
          const error = await cipher.rotate(bad).then(
            () => expect.fail('rotate accepted a token no key opens'),
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(DecryptionError);
          for (const text of errorTexts(error as Error)) expect(text).not.toContain(SECRET);
        }
      });
    });
  });
}

/** Calls decrypt, which must return a rejected promise (a synchronous throw fails the test). */
async function decryptFailure(cipher: SecretCipher, token: unknown, label: string): Promise<unknown> {
  const result = cipher.decrypt(token as string);
  return result.then(
    () => expect.fail(`decrypt accepted an invalid token (${label})`),
    (error: unknown) => error,
  );
}

/**
 * Copies of the token with one character changed at positions spread over it, each to
 * another character of the same class (upper, lower, digit), so the result stays in any
 * usual token alphabet yet encodes other bits. The last 4 characters are left alone:
 * encodings may carry unused bits there.
 */
function tamperedVariants(token: string): string[] {
  const classes = ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz', '0123456789'];
  const variants: string[] = [];
  const end = token.length - 4;
  for (let n = 0; n < 8; n++) {
    for (let i = Math.floor((end * n) / 8); i < end; i++) {
      const chars = classes.find((c) => c.includes(token[i]!));
      if (!chars) continue;
      const swapped = chars[(chars.indexOf(token[i]!) + 1) % chars.length]!;
      variants.push(token.slice(0, i) + swapped + token.slice(i + 1));
      break;
    }
  }
  return variants;
}

/** The message of the error and of each cause below it. */
function errorTexts(error: Error): string[] {
  const texts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message, String(e));
  return texts;
}
