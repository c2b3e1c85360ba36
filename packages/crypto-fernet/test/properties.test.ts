import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecryptionError } from '@llm-settings/core';
import { createFernetCipher, generateFernetKey } from '../src/index.js';
import { decodeBase64Url, encodeBase64UrlPadded } from '../src/base64.js';

const cipher = createFernetCipher({ keys: [generateFernetKey(), generateFernetKey()] });

/** Unicode text (any code point but lone surrogates) of at most 64 KiB as UTF-8. */
const plaintexts = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 16_384, size: 'max' }))
  .filter((text) => Buffer.byteLength(text) <= 65_536);

function flipBit(token: string, bit: number): string {
  const bytes = Buffer.from(decodeBase64Url(token)!);
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return encodeBase64UrlPadded(bytes);
}

describe('Fernet cipher properties', () => {
  it('decrypt(encrypt(text)) is text for any unicode text up to 64 KiB', async () => {
    await fc.assert(
      fc.asyncProperty(plaintexts, async (text) => {
        expect(await cipher.decrypt(await cipher.encrypt(text))).toBe(text);
      }),
      { numRuns: 150 },
    );
  });

  it('any single bit flip in the bytes of a token is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(plaintexts, fc.nat(), async (text, seed) => {
        const token = await cipher.encrypt(text);
        const bit = seed % (decodeBase64Url(token)!.length * 8);
        await expect(cipher.decrypt(flipBit(token, bit))).rejects.toBeInstanceOf(DecryptionError);
      }),
      { numRuns: 300 },
    );
  });

  it('every one of the bit flips of a short token is rejected', async () => {
    const token = await cipher.encrypt('k');
    const bits = decodeBase64Url(token)!.length * 8;
    const accepted: number[] = [];
    for (let bit = 0; bit < bits; bit++) {
      if (await cipher.decrypt(flipBit(token, bit)).then(() => true, () => false)) accepted.push(bit);
    }
    expect(bits).toBe(73 * 8);
    expect(accepted).toEqual([]);
  });
});
