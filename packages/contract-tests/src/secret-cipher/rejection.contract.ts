import { describe, expect, it } from 'vitest';
import { DecryptionError, ErrorCodes, type SecretCipher } from '@llm-settings/core';
import type { SecretCipherContractOptions } from './options.js';
import { SECRET, changedAt, checkedRefusal, decryptFailure, describeCipherChecks, everySingleChange, expectRefusal, tamperedVariants, tamperedWording, type CipherSubject } from './support.js';

/** Refused tokens: malformed, changed at any position, with a foreign character put in, under another key. */
export function rejectionChecks<C extends SecretCipher>(options: SecretCipherContractOptions<C>, subject: CipherSubject<C>): void {
  describe('rejection', () => {
    const invalidTokens = async (): Promise<Array<[string, unknown]>> => {
      const token = await subject.cipher.encrypt(SECRET);
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
        const error = await decryptFailure(subject.cipher, token, label);
        expect(error, label).toBeInstanceOf(DecryptionError);
        expect((error as DecryptionError).code, label).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
      }
    });

    it('decrypt - the error for a rejected token, printed whole with its causes, shows neither the plaintext nor a key', async () => {
      for (const [label, token] of await invalidTokens()) checkedRefusal(options, await decryptFailure(subject.cipher, token, label), label);
    });

    it(`decrypt - gives every refused token the same error, which says not why (malformed, tampered, truncated${options.createWithOtherKey ? ', under another key' : ''})`, async () => {
      const expected = await tamperedWording(options, subject.cipher);
      const refused = await invalidTokens();
      if (options.createWithOtherKey) refused.push(['under another key', await (await options.createWithOtherKey()).encrypt(SECRET)]);
      for (const [label, token] of refused) {
        expect(checkedRefusal(options, await decryptFailure(subject.cipher, token, label), label), `${label} is refused in other words than a tampered token`).toBe(expected);
      }
    });

    it('decrypt - refuses a token changed at any single position, the last one included, with DecryptionError', async () => {
      const token = await subject.cipher.encrypt(SECRET);
      for (let position = 0; position < token.length; position++) {
        const changed = changedAt(token, position);
        const error = await decryptFailure(subject.cipher, changed, `changed at position ${position} of ${token.length}`);
        expect(error, `position ${position}`).toMatchObject({ name: 'DecryptionError', code: ErrorCodes.CRYPTO_UNDECRYPTABLE });
      }
    });

    it('decrypt - refuses a token changed at any single position in any bit with DecryptionError, unless the change spells the same bytes (base64\'s other alphabet, its unused low bits), which may open to the same plaintext', async () => {
      const token = await subject.cipher.encrypt(SECRET);
      const bytes = (text: string) => Buffer.from(text, 'base64');
      for (const changed of everySingleChange(token)) {
        const opened = await subject.cipher.decrypt(changed).catch((error: unknown) => error);
        if (opened === SECRET && bytes(changed).equals(bytes(token))) continue;
        expect(opened, `${changed}, changed from ${token}`).toMatchObject({ name: 'DecryptionError', code: ErrorCodes.CRYPTO_UNDECRYPTABLE });
      }
    });

    it('decrypt - refuses a token with a character put in it that no base64 spelling has (a dot, a percent sign, a space, a line break, an accent), at its start, middle or end, with DecryptionError', async () => {
      const token = await subject.cipher.encrypt(SECRET);
      for (const char of ['.', '%', ' ', '\n', '\u00e9']) {
        for (const position of [0, Math.floor(token.length / 2), token.length]) {
          const label = `${JSON.stringify(char)} put in at ${position} of ${token.length}`;
          expect(await decryptFailure(subject.cipher, token.slice(0, position) + char + token.slice(position), label), label).toMatchObject({
            name: 'DecryptionError',
            code: ErrorCodes.CRYPTO_UNDECRYPTABLE,
          });
        }
      }
    });

    const noOtherKey = options.createWithOtherKey ? '' : ' (skipped: no createWithOtherKey hook)';
    it.skipIf(!options.createWithOtherKey)(`decrypt - rejects a token made under another key with DecryptionError${noOtherKey}`, async () => {
      const other = await options.createWithOtherKey!();
      await expectRefusal(options, subject.cipher.decrypt(await other.encrypt(SECRET)), 'a token under another key');
    });
  });
}

/**
 * Registers the checks that `decrypt` refuses what is not a token of its key, with DecryptionError that shows no secret.
 * Call it at the top level of a test file.
 */
export function describeSecretCipherRejection<C extends SecretCipher>(options: SecretCipherContractOptions<C>): void {
  describeCipherChecks(options, rejectionChecks);
}
