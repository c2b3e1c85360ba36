import { describe, expect, it } from 'vitest';
import { looksMasked, maskApiKey } from '../src/index.js';

describe('maskApiKey', () => {
  it('shows "..." and the last four characters of keys of 16 or more characters', () => {
    expect(maskApiKey('sk-ant-0123456789')).toBe('...6789');
    expect(maskApiKey('abcdefghijklmnop')).toBe('...mnop');
  });

  it('shows only "..." for keys shorter than 16 characters', () => {
    expect(maskApiKey('abcdefghijklmno')).toBe('...');
    expect(maskApiKey('x')).toBe('...');
  });

  it('never reveals the key length', () => {
    expect(maskApiKey('a'.repeat(20) + 'WXYZ')).toBe(maskApiKey('a'.repeat(200) + 'WXYZ'));
    expect(maskApiKey('short')).toBe(maskApiKey('shorter-key'));
  });

  it('produces values that looksMasked recognises, so a mask sent back is refused', () => {
    expect(looksMasked(maskApiKey('sk-ant-0123456789'))).toBe(true);
    expect(looksMasked('sk-ant-0123456789')).toBe(false);
  });
});
