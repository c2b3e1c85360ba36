import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCodes } from '@llm-settings/core';
import { EXAMPLE_FERNET_KEY, createFernetCipher, generateFernetKey, parseFernetKeys } from '../src/index.js';
import { encodeBase64UrlPadded } from '../src/base64.js';
import { runPython } from './python.js';

/** The error `parseFernetKeys` throws for `value`; fails the test when it does not throw. */
function configError(value: string | readonly string[]): ConfigError {
  try {
    parseFernetKeys(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCodes.CONFIG_INVALID);
    return error as ConfigError;
  }
  return expect.fail('parseFernetKeys accepted an invalid key ring');
}

/** No 8-character run of any key may show up in the message (not even a fragment). */
function expectNoKeyIn(message: string, keys: readonly string[]): void {
  for (const key of keys.map((k) => k.trim()).filter((k) => k.length >= 8)) {
    for (let i = 0; i + 8 <= key.length; i++) expect(message).not.toContain(key.slice(i, i + 8));
  }
}

const base64Of = encodeBase64UrlPadded;

describe('generateFernetKey', () => {
  it('returns 44 characters of url-safe base64 with padding that decode to 32 bytes', () => {
    const key = generateFernetKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
  });

  it('returns a different key each time', () => {
    expect(new Set(Array.from({ length: 20 }, generateFernetKey)).size).toBe(20);
  });

  it('makes keys that Python accepts and that parseFernetKeys accepts', () => {
    const key = generateFernetKey();
    expect(parseFernetKeys(key)).toEqual([Buffer.from(key, 'base64url')]);
    expect(runPython<boolean>('Fernet(data); result = True', key)).toBe(true);
  });
});

describe('parseFernetKeys', () => {
  const a = generateFernetKey();
  const b = generateFernetKey();
  const c = generateFernetKey();

  it('accepts a comma-separated list with blanks around keys, in order', () => {
    expect(parseFernetKeys(` ${a} ,${b}\n, ${c}`)).toEqual([a, b, c].map((k) => Buffer.from(k, 'base64url')));
  });

  it('accepts an array, and keys written with the standard base64 alphabet as Python does', () => {
    const standard = Buffer.from(a, 'base64url').toString('base64');
    expect(parseFernetKeys([standard, b])).toEqual([Buffer.from(a, 'base64url'), Buffer.from(b, 'base64url')]);
  });

  const cases: Array<[string, string | readonly string[], RegExp]> = [
    ['an empty string', '', /No Fernet key is configured/],
    ['a blank string', '  \n', /No Fernet key is configured/],
    ['an empty array', [], /No Fernet key is configured/],
    ['a stray comma', `${a},`, /Fernet key 2 of 2 is empty/],
    ['a blank entry in an array', [a, ' '], /Fernet key 2 of 2 is empty/],
    ['a key with characters outside base64', 'zR7%k2Lp9qW3xV8mN1bT6yH4gJ0cF5dS2aE7uI9oP3Q=', /Fernet key 1 of 1 is not url-safe base64/],
    ['a key with a space inside', `${a.slice(0, 20)} ${a.slice(20)}`, /Fernet key 1 of 1 is not url-safe base64/],
    ['a key missing its padding', a.slice(0, 43), /Fernet key 1 of 1 is not valid url-safe base64 \(check its padding\)/],
    ['a key of 16 bytes', base64Of(Buffer.from('0123456789abcdef')), /Fernet key 1 of 1 decodes to 16 bytes; a Fernet key is 32 bytes/],
    ['a key of 33 bytes', base64Of(Buffer.alloc(33, 7).fill(9, 5)), /Fernet key 1 of 1 decodes to 33 bytes/],
    ['the example key', EXAMPLE_FERNET_KEY, /Fernet key 1 of 1 is the example key from the documentation/],
    ['the example key as the second key', [a, EXAMPLE_FERNET_KEY], /Fernet key 2 of 2 is the example key/],
    ['an all-zero key', base64Of(Buffer.alloc(32)), /Fernet key 1 of 1 is one byte repeated/],
    ['a key of one repeated byte', base64Of(Buffer.alloc(32, 0xa7)), /Fernet key 1 of 1 is one byte repeated/],
    ['the same key twice', `${a},${b},${a}`, /Fernet keys 1 and 3 are the same key/],
    ['the same key in both alphabets', [b, Buffer.from(b, 'base64url').toString('base64')], /Fernet keys 1 and 2 are the same key/],
  ];
  for (const [label, value, message] of cases) {
    it(`rejects ${label} with a ConfigError that does not echo the key`, () => {
      const error = configError(value);
      expect(error.message).toMatch(message);
      expectNoKeyIn(error.message, typeof value === 'string' ? value.split(',') : value);
      expect(error.cause).toBeUndefined();
    });
  }

  it('rejects a non-string entry in an array', () => {
    expect(configError([a, 42 as unknown as string]).message).toMatch(/Fernet key 2 of 2 is not a string/);
  });

  it('the example key is valid syntax that Python accepts, so only the explicit check refuses it', () => {
    expect(Buffer.from(EXAMPLE_FERNET_KEY, 'base64url').toString()).toBe('llm-settings-example-key-replace');
    expect(runPython<boolean>('Fernet(data); result = True', EXAMPLE_FERNET_KEY)).toBe(true);
  });
});

describe('createFernetCipher options', () => {
  it('validates the keys with parseFernetKeys', () => {
    expect(() => createFernetCipher({ keys: EXAMPLE_FERNET_KEY })).toThrow(ConfigError);
  });

  for (const ttlSeconds of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects a TTL of ${ttlSeconds} seconds with a ConfigError`, () => {
      expect(() => createFernetCipher({ keys: generateFernetKey(), ttlSeconds })).toThrow(ConfigError);
    });
  }
});
