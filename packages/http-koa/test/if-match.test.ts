import { ValidationError } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import { formatEtag, namesTag, parseIfMatch, parseIfNoneMatch } from '../src/if-match.js';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseIfMatch', () => {
  it('returns undefined when the header is absent', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
  });

  it('reads * as "any"', () => {
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch('  *  ')).toEqual({ kind: 'any' });
  });

  it('reads one strong tag without its quotes', () => {
    expect(parseIfMatch('"3-lx2k9"')).toEqual({ kind: 'tags', strong: ['3-lx2k9'] });
  });

  it('reads a list, ignoring whitespace and empty members, keeping strong tags in order', () => {
    expect(parseIfMatch('"a", "b" ,"c"')).toEqual({ kind: 'tags', strong: ['a', 'b', 'c'] });
    expect(parseIfMatch(', "a",, "b",')).toEqual({ kind: 'tags', strong: ['a', 'b'] });
  });

  it('drops weak tags, which never match under the strong comparison If-Match uses', () => {
    expect(parseIfMatch('W/"a", "b"')).toEqual({ kind: 'tags', strong: ['b'] });
    expect(parseIfMatch('W/"a"')).toEqual({ kind: 'tags', strong: [] });
  });

  it('allows the characters RFC 9110 allows inside a tag, commas included', () => {
    expect(parseIfMatch('"a,b", ""')).toEqual({ kind: 'tags', strong: ['a,b', ''] });
  });

  it.each(['abc', '"unterminated', '"a" "b"', 'w/"a"', '"a"x', '*, "a"', '', ' , ', '"a\tb"'])('refuses %j with a ValidationError naming If-Match', (value) => {
    const error = errorOf(() => parseIfMatch(value));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'If-Match', message: expect.any(String) }]);
  });

  it('round-trips with formatEtag', () => {
    expect(parseIfMatch(formatEtag('7-abc'))).toEqual({ kind: 'tags', strong: ['7-abc'] });
  });
});

describe('parseIfNoneMatch', () => {
  it('returns undefined without the header, and * as any', () => {
    expect(parseIfNoneMatch(undefined)).toBeUndefined();
    expect(parseIfNoneMatch(' * ')).toEqual({ kind: 'any' });
  });

  it('keeps weak tags as the tag they name: If-None-Match compares weakly', () => {
    expect(parseIfNoneMatch('W/"a", "b",, ')).toEqual({ kind: 'tags', tags: ['a', 'b'] });
    expect(namesTag(parseIfNoneMatch('W/"7-abc"')!, '7-abc')).toBe(true);
    expect(namesTag(parseIfNoneMatch('"7-abd"')!, '7-abc')).toBe(false);
    expect(namesTag(parseIfNoneMatch('*')!, '0')).toBe(true);
  });

  it.each(['abc', '"a" "b"', '*, "a"', ''])('refuses %j with a ValidationError naming If-None-Match', (value) => {
    const error = errorOf(() => parseIfNoneMatch(value));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'If-None-Match', message: expect.any(String) }]);
  });
});
