import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptionError, ErrorCodes, isRotatingCipher } from '@llm-settings/core';
import type { SecretCipher } from '@llm-settings/core';

export interface SecretCipherContractOptions<C extends SecretCipher = SecretCipher> {
  /** Shown in the suite title. */
  name: string;
  /** Builds the cipher under test; called once for the suite. */
  create: () => C | Promise<C>;
  /**
   * Builds a cipher of the same kind under a different key, to check that its tokens are
   * refused. The test that needs it is skipped when it is not given.
   */
  createWithOtherKey?: () => SecretCipher | Promise<SecretCipher>;
  /**
   * Builds a cipher whose key ring holds the keys named, the first one current (it
   * encrypts) and all of them decrypting. A name stands for the same key throughout the
   * suite: map names to keys once, e.g. with a Map. Without it (a cipher with one key),
   * the key ring and rotation-between-keys checks are skipped.
   */
  createWithKeys?: (keyNames: readonly string[]) => C | Promise<C>;
  /** A cipher whose tokens carry a time. Without it the time checks are skipped. */
  clock?: SecretCipherClockHook<C>;
  /** Releases what `create` acquired; called once after the suite. */
  teardown?: (cipher: C) => void | Promise<void>;
}

/** How the suite controls the time of a cipher whose tokens carry one. */
export interface SecretCipherClockHook<C extends SecretCipher = SecretCipher> {
  /**
   * Builds a cipher that reads the time from `now` only, with the key ring named as in
   * `createWithKeys` (a single name unless `createWithKeys` is given too).
   */
  create: (now: () => Date, keyNames: readonly string[]) => C | Promise<C>;
  /**
   * The token lifetime the ciphers `create` builds enforce, in whole seconds. Omitted
   * when they have none: the expiry checks are skipped.
   */
  ttlSeconds?: number;
  /**
   * How far ahead of `now`, in whole seconds, a token's time may be before `decrypt`
   * refuses it, as the format requires (Fernet: 60, when a TTL is set). Omitted when the
   * format accepts tokens from the future: that check is skipped.
   */
  maxClockSkewSeconds?: number;
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
export function describeSecretCipherContract<C extends SecretCipher>(options: SecretCipherContractOptions<C>): void {
  const { createWithKeys, clock } = options;
  describe(`SecretCipher contract: ${options.name}`, () => {
    let cipher: C;

    beforeAll(async () => {
      cipher = await options.create();
    });

    afterAll(async () => {
      await options.teardown?.(cipher);
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

      it('decrypt - refuses a token changed at any single position, the last one included, with DecryptionError', async () => {
        const token = await cipher.encrypt(SECRET);
        for (let position = 0; position < token.length; position++) {
          const changed = changedAt(token, position);
          const error = await decryptFailure(cipher, changed, `changed at position ${position} of ${token.length}`);
          expect(error, `position ${position}`).toMatchObject({ name: 'DecryptionError', code: ErrorCodes.CRYPTO_UNDECRYPTABLE });
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
        if (!isRotatingCipher(cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
        expect(cipher.isCurrent(await cipher.encrypt(SECRET))).toBe(true);
      });

      it('rotate - returns a current token that decrypts to the same plaintext', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
        const rotated = await cipher.rotate(await cipher.encrypt(SECRET));
        expect(cipher.isCurrent(rotated)).toBe(true);
        expect(await cipher.decrypt(rotated)).toBe(SECRET);
      });

      // isCurrent is a cheap key check made without decrypting, so an adapter may not see
      // that a token under its current key was tampered with; decrypt and rotate reject those.
      it('isCurrent - is false, without throwing, for tokens under another key and for non-tokens', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
        const others: unknown[] = ['', 'not-a-token', '%%%%', '🔑', null, undefined, 42, {}];
        if (options.createWithOtherKey) others.push(await (await options.createWithOtherKey()).encrypt(SECRET));
        for (const other of others) expect(cipher.isCurrent(other as string)).toBe(false);
      });

      it('rotate - rejects a token no key opens with DecryptionError', async (context) => {
        if (!isRotatingCipher(cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
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

    const skippedRing = createWithKeys ? '' : ' (skipped: no createWithKeys hook)';
    describe.skipIf(!createWithKeys)(`key ring${skippedRing}`, () => {
      const ringOf = async (...names: string[]) => createWithKeys!(names);

      it('decrypt - a token made under an older key of the ring still decrypts', async () => {
        const old = await (await ringOf('old')).encrypt(SECRET);
        expect(await (await ringOf('new', 'old')).decrypt(old)).toBe(SECRET);
        expect(await (await ringOf('new', 'older', 'old')).decrypt(old)).toBe(SECRET);
      });

      it('encrypt - a new token opens with the first key of the ring alone, and not with an older one', async () => {
        const token = await (await ringOf('new', 'old')).encrypt(SECRET);
        expect(await (await ringOf('new')).decrypt(token)).toBe(SECRET);
        await expectDecryptionError(ringOf('old').then((old) => old.decrypt(token)));
      });

      it('decrypt - a token under a key that left the ring is refused with DecryptionError', async () => {
        const old = await (await ringOf('old')).encrypt(SECRET);
        await expectDecryptionError(ringOf('new').then((ring) => ring.decrypt(old)));
      });

      it('isCurrent - is false for a token under an older key of the ring, true for one under the first', async (context) => {
        const ring = await ringOf('new', 'old');
        if (!isRotatingCipher(ring)) return context.skip('the cipher is not a RotatingSecretCipher');
        expect(ring.isCurrent(await (await ringOf('old')).encrypt(SECRET))).toBe(false);
        expect(ring.isCurrent(await ring.encrypt(SECRET))).toBe(true);
      });

      it('rotate - re-encrypts a token under an older key so that the first key alone opens it', async (context) => {
        const ring = await ringOf('new', 'old');
        if (!isRotatingCipher(ring)) return context.skip('the cipher is not a RotatingSecretCipher');
        const old = await (await ringOf('old')).encrypt(SECRET);
        const rotated = await ring.rotate(old);
        expect(rotated).not.toBe(old);
        expect(ring.isCurrent(rotated)).toBe(true);
        expect(await (await ringOf('new')).decrypt(rotated)).toBe(SECRET);
        await expectDecryptionError(ringOf('old').then((only) => only.decrypt(rotated)));
      });
    });

    const skippedClock = clock ? '' : ' (skipped: no clock hook)';
    describe.skipIf(!clock)(`time${skippedClock}`, () => {
      /** A clock the test sets, in whole seconds from a fixed start. */
      const START_MS = Date.UTC(2030, 0, 1);
      let offsetSeconds = 0;
      const now = () => new Date(START_MS + offsetSeconds * 1000);
      const ttl = clock?.ttlSeconds;
      const skew = clock?.maxClockSkewSeconds;

      it.skipIf(ttl === undefined)(
        `decrypt - with a TTL, a token older than the TTL is refused and one just younger opens${ttl === undefined ? ' (skipped: no ttlSeconds)' : ''}`,
        async () => {
          const timed = await clock!.create(now, ['only']);
          offsetSeconds = 0;
          const token = await timed.encrypt(SECRET);
          offsetSeconds = ttl! - 1;
          expect(await timed.decrypt(token)).toBe(SECRET);
          offsetSeconds = ttl! + 1;
          await expectDecryptionError(timed.decrypt(token));
          offsetSeconds = ttl! * 10;
          await expectDecryptionError(timed.decrypt(token));
        },
      );

      it.skipIf(skew === undefined)(
        `decrypt - a token from further in the future than the allowed clock skew is refused, one within it opens${skew === undefined ? ' (skipped: no maxClockSkewSeconds)' : ''}`,
        async () => {
          const timed = await clock!.create(now, ['only']);
          offsetSeconds = skew! + 1;
          const tooFar = await timed.encrypt(SECRET);
          offsetSeconds = skew! - 1;
          const near = await timed.encrypt(SECRET);
          offsetSeconds = 0;
          await expectDecryptionError(timed.decrypt(tooFar));
          expect(await timed.decrypt(near)).toBe(SECRET);
        },
      );

      const canRotateInTime = ttl !== undefined && createWithKeys !== undefined;
      it.skipIf(!canRotateInTime)(
        `rotate - keeps the token's time: a rotated token expires when the original would have${canRotateInTime ? '' : ' (skipped: needs ttlSeconds and createWithKeys)'}`,
        async (context) => {
          const old = await clock!.create(now, ['old']);
          const ring = await clock!.create(now, ['new', 'old']);
          if (!isRotatingCipher(ring)) return context.skip('the cipher is not a RotatingSecretCipher');
          offsetSeconds = 0;
          const token = await old.encrypt(SECRET);
          offsetSeconds = ttl! - 1;
          const rotated = await ring.rotate(token);
          const fresh = await ring.encrypt(SECRET);
          expect(ring.isCurrent(rotated)).toBe(true);
          expect(await ring.decrypt(rotated)).toBe(SECRET);
          offsetSeconds = ttl! + 1;
          expect(await ring.decrypt(fresh)).toBe(SECRET);
          await expectDecryptionError(ring.decrypt(rotated));
        },
      );
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

/** Copies of the token changed at 8 positions spread over it, the first and the last included. */
function tamperedVariants(token: string): string[] {
  const last = token.length - 1;
  const positions = new Set(Array.from({ length: 8 }, (_, n) => Math.round((last * n) / 7)));
  return [...positions].map((position) => changedAt(token, position));
}

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The token with the character at `position` replaced. A base64 character becomes the
 * one whose 6-bit value differs in its top bit, which every position uses (a change of
 * the low bits of the last character could fall in bits an encoding leaves unused);
 * anything else (padding, hex, punctuation) becomes another printable character.
 */
function changedAt(token: string, position: number): string {
  const alphabet = BASE64_DIGITS + (/[-_]/.test(token) ? '-_' : '+/');
  const char = token[position]!;
  const index = alphabet.indexOf(char);
  const replacement = index >= 0 ? alphabet[index ^ 32]! : char === 'A' ? 'B' : 'A';
  return token.slice(0, position) + replacement + token.slice(position + 1);
}

async function expectDecryptionError(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => expect.fail('a token that must be refused was accepted'),
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'DecryptionError', code: ErrorCodes.CRYPTO_UNDECRYPTABLE });
}

/** The message of the error and of each cause below it. */
function errorTexts(error: Error): string[] {
  const texts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message, String(e));
  return texts;
}
