import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64UrlPadded } from '../src/base64.js';
import { runPython } from './python.js';

/** Characters that exercise every branch: both alphabets, padding, ignored ASCII, non-ASCII. */
const TRICKY = fc.constantFrom(...'AQgw09azAZ-_+/=', '=', '=', ' ', '\n', '%', '.', 'é', '🔑');

describe('url-safe base64 as Python writes it', () => {
  it('encodeBase64UrlPadded - matches base64.urlsafe_b64encode for every length', () => {
    const samples = Array.from({ length: 40 }, (_, n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 97 + n * 31) % 256)));
    const python = runPython<string[]>(
      'result = [base64.urlsafe_b64encode(bytes.fromhex(h)).decode() for h in data]',
      samples.map((b) => b.toString('hex')),
    );
    expect(samples.map(encodeBase64UrlPadded)).toEqual(python);
  });

  it('decodeBase64Url - refuses whatever base64.urlsafe_b64decode refuses, and decodes what it accepts to the same bytes', () => {
    const inputs = [
      ...fc.sample(fc.string({ unit: TRICKY, maxLength: 14 }), { numRuns: 3000, seed: 20240611 }),
      ...fc.sample(fc.string({ unit: TRICKY, maxLength: 14 }), 1000),
      ...fc.sample(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url')), 300),
      ...fc.sample(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')), 300),
    ];
    const python = runPython<Array<string | null>>(
      [
        'def decode(s):',
        '    try:',
        '        return base64.urlsafe_b64decode(s).hex()',
        '    except ValueError:',  // binascii.Error and the non-ASCII ValueError
        '        return None',
        'result = [decode(s) for s in data]',
      ].join('\n'),
      inputs,
    );
    const ours = inputs.map((s) => decodeBase64Url(s)?.toString('hex') ?? null);
    const disagreements = inputs
      .map((input, i) => ({ input, ours: ours[i], python: python[i] }))
      .filter((row) => row.ours !== null && row.ours !== row.python);
    expect(disagreements).toEqual([]);
    // The sample must reach both outcomes, or it proves little.
    expect(ours.filter((r) => r === null).length).toBeGreaterThan(100);
    expect(ours.filter((r) => r !== null && r !== '').length).toBeGreaterThan(100);
  });

  it('decodeBase64Url - refuses the spellings Python tolerates beyond its own output: whitespace, other ASCII, text after the padding', () => {
    const canonical = encodeBase64UrlPadded(Buffer.from('sixteen bytes!!!'));
    expect(decodeBase64Url(canonical)).toEqual(Buffer.from('sixteen bytes!!!'));
    for (const spelling of [`${canonical}\n`, ` ${canonical}`, `${canonical.slice(0, 8)}\n${canonical.slice(8)}`, `${canonical}%`, `${canonical}QUFB`]) {
      expect(decodeBase64Url(spelling), JSON.stringify(spelling)).toBeNull();
    }
  });

  it('decodeBase64Url - round-trips what encodeBase64UrlPadded makes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(decodeBase64Url(encodeBase64UrlPadded(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
    );
  });
});
