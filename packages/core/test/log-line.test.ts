import { describe, expect, it } from 'vitest';
import { escapeLogLine } from '../src/index.js';

const UNSAFE = ['\u0085', '\u2028', '\u2029', '\u202e', '\u2066', '\u200f', '\u061c', '\u009b', '\u007f'];

describe('escapeLogLine', () => {
  it.each(UNSAFE.map((c) => [`U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`, c]))(
    'writes %s as a JSON escape, so the line holds no raw copy and parses to the same value',
    (_name, c) => {
      const value = { msg: `before${c}after`, [`member${c}`]: c };
      const line = escapeLogLine(JSON.stringify(value));
      expect(line).not.toContain(c);
      expect(JSON.parse(line)).toEqual(value);
    },
  );

  it('leaves other text as it is, non-ASCII letters included', () => {
    const line = JSON.stringify({ msg: 'héllo wörld ✓ 日本', n: 1 });
    expect(escapeLogLine(line)).toBe(line);
  });
});
