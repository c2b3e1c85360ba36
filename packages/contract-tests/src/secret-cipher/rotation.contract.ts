import { describe, expect, it } from 'vitest';
import { DecryptionError, isRotatingCipher, type SecretCipher } from '@llm-settings/core';
import type { SecretCipherContractOptions } from './options.js';
import { SECRET, checkedRefusal, describeCipherChecks, expectRefusal, tamperedVariants, tamperedWording, type CipherSubject } from './support.js';

/** `rotate` and `isCurrent` on the cipher under test. */
export function rotationChecks<C extends SecretCipher>(options: SecretCipherContractOptions<C>, subject: CipherSubject<C>): void {
  describe('rotation (RotatingSecretCipher only)', () => {
    it('isCurrent - is true for a token just encrypted', async (context) => {
      if (!isRotatingCipher(subject.cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
      expect(subject.cipher.isCurrent(await subject.cipher.encrypt(SECRET))).toBe(true);
    });

    it('rotate - returns a current token that decrypts to the same plaintext', async (context) => {
      if (!isRotatingCipher(subject.cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
      const rotated = await subject.cipher.rotate(await subject.cipher.encrypt(SECRET));
      expect(subject.cipher.isCurrent(rotated)).toBe(true);
      expect(await subject.cipher.decrypt(rotated)).toBe(SECRET);
    });

    // isCurrent is a cheap key check made without decrypting, so an adapter may not see
    // that a token under its current key was tampered with; decrypt and rotate reject those.
    it('isCurrent - is false, without throwing, for tokens under another key and for non-tokens', async (context) => {
      if (!isRotatingCipher(subject.cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
      const others: unknown[] = ['', 'not-a-token', '%%%%', '🔑', null, undefined, 42, {}];
      if (options.createWithOtherKey) others.push(await (await options.createWithOtherKey()).encrypt(SECRET));
      for (const other of others) expect(subject.cipher.isCurrent(other as string)).toBe(false);
    });

    it('rotate - rejects a token no key opens with DecryptionError', async (context) => {
      if (!isRotatingCipher(subject.cipher)) return context.skip('the cipher is not a RotatingSecretCipher');
      const token = await subject.cipher.encrypt(SECRET);
      for (const bad of ['', 'not-a-token', ...tamperedVariants(token)]) {
        const error = await subject.cipher.rotate(bad).then(
          () => expect.fail('rotate accepted a token no key opens'),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DecryptionError);
        checkedRefusal(options, error, `rotate of ${bad.slice(0, 12) || 'an empty string'}`);
      }
    });
  });
}

/** With `createWithKeys`: older keys decrypt, the first encrypts, a retired key is refused. */
export function keyRingChecks<C extends SecretCipher>(options: SecretCipherContractOptions<C>, _subject: CipherSubject<C>): void {
  const { createWithKeys } = options;
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
      await expectRefusal(options, ringOf('old').then((old) => old.decrypt(token)), 'a new token, opened by an older key alone');
    });

    it('decrypt - a token under a key that left the ring is refused with DecryptionError, in the words of a tampered token', async () => {
      const old = await (await ringOf('old')).encrypt(SECRET);
      const ring = await ringOf('new');
      const wording = await expectRefusal(options, ring.decrypt(old), 'a token under a retired key');
      expect(wording, 'a token under a retired key is refused in other words than a tampered token').toBe(await tamperedWording(options, ring));
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
      await expectRefusal(options, ringOf('old').then((only) => only.decrypt(rotated)), 'a rotated token, opened by the older key alone');
    });
  });
}

/**
 * Registers the checks of `rotate` and `isCurrent` (a RotatingSecretCipher), and of a key ring (with `createWithKeys`).
 * Call it at the top level of a test file.
 */
export function describeSecretCipherRotation<C extends SecretCipher>(options: SecretCipherContractOptions<C>): void {
  describeCipherChecks(options, rotationChecks, keyRingChecks);
}
