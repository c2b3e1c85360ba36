import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactText, scrubKeyFromLogText as scrubKey } from '../src/index.js';

const KEY = 'sk-proj-4f9c2a7b1e8d3c6a5b0f9e8d7c6bQZXW';

describe('scrubKeyFromLogText', () => {
  it.each([
    ['the whole key', `key ${KEY} here`],
    ["OpenAI's starred echo", `Incorrect API key provided: sk-proj-${'*'.repeat(28)}QZXW.`],
    ['an echo with an ellipsis', 'Incorrect API key provided: sk-proj-****...QZXW.'],
    ['our own mask', 'stored key ...QZXW'],
    ['a bulleted mask', 'key ••••QZXW'],
    ['an 8-character run from the middle of the key', 'fragment 1e8d3c6a seen'],
  ])('removes %s', (_, text) => {
    const out = scrubKey(text, KEY);
    expect(out).toContain(REDACTED);
    expect(out).not.toMatch(/QZXW|1e8d3c6a|sk-proj-/);
  });

  it('leaves text without any part of the key as it is', () => {
    const text = 'OpenAI rejected the API key. Request id: req_0123456789abcdef.';
    expect(scrubKey(text, KEY)).toBe(text);
  });
});

/** The run loop as it was before its look-up of the text's own 4-character blocks: the reference the new one must agree with. */
function previousScrub(text: string, key: string): string {
  let out = redactText(text, [key]);
  for (let start = 0; start + 8 <= key.length; start++) {
    const run = key.slice(start, start + 8);
    if (out.includes(run)) out = out.split(run).join(REDACTED);
  }
  if (key.length >= 8 && out.includes(key.slice(-4))) {
    const escape = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?:\\S*[*•.]{3}|${escape(key.slice(0, 3))})\\S*?${escape(key.slice(-4))}`, 'g'), REDACTED);
  }
  return out;
}

/** Keys and texts over a few characters, so that texts often hold runs, parts and masks of the key. */
const characters = fc.constantFrom(...'abcAB01-_*.•sk [REDACTED]');
const keys = fc.oneof(fc.string({ unit: characters, maxLength: 40 }), fc.constantFrom(KEY, 'sk-REDACTEDREDACTED', 'short'));

describe('scrubKeyFromLogText against the loop over every run of the key', () => {
  it('gives the same text', () => {
    fc.assert(
      fc.property(keys, fc.array(fc.oneof(fc.string({ unit: characters, maxLength: 12 }), fc.integer({ min: 0, max: 40 })), { maxLength: 8 }), (key, parts) => {
        // A number is a piece of the key there (from that offset, up to 12 characters).
        const text = parts.map((part) => (typeof part === 'number' ? key.slice(part, part + 4 + (part % 9)) : part)).join('');
        expect(scrubKey(text, key)).toBe(previousScrub(text, key));
      }),
      { numRuns: 5_000 },
    );
  });
});
