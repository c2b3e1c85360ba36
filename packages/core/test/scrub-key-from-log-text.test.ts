import { describe, expect, it } from 'vitest';
import { REDACTED, scrubKeyFromLogText as scrubKey } from '../src/index.js';

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
