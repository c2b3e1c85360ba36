import { describe, expect, it } from 'vitest';
import { InheritFromSchema, isScopeName, SCOPE_PATTERN, ScopeSchema, ValidationError } from '../src/index.js';
import { normalizeScope } from '../src/scopes.js';
import { NAMES_LIKE_PREFIXES, PREFIXED_KEYS } from './prefixed-keys.js';

const KEY_MESSAGE = 'scope looks like an API key; a scope names a user, team or tenant';

describe('scope names refuse keys of providers without the sk- prefix', () => {
  it.each(PREFIXED_KEYS)('refuses a %s key as a scope, alone or after a separator, in words of its own', (_provider, key) => {
    for (const scope of [key, `team:${key}`, `tenant-${key}`]) {
      expect(isScopeName(scope), scope).toBe(false);
      expect(ScopeSchema.safeParse(scope).error?.issues.map((issue) => issue.message)).toEqual([KEY_MESSAGE]);
      expect(InheritFromSchema.safeParse(scope).error?.issues.map((issue) => issue.message)).toEqual([
        'inherit_from looks like an API key; a scope names a user, team or tenant',
      ]);
    }
  });

  it.each(PREFIXED_KEYS)('normalizeScope (what a scope header goes through) refuses a %s key, naming the reason without quoting it', (_provider, key) => {
    expect(() => normalizeScope(key)).toThrow(ValidationError);
    expect(() => normalizeScope(key)).toThrow(`Invalid scope: ${KEY_MESSAGE}`);
  });

  it('accepts names that merely start like those keys, and ordinary names', () => {
    for (const name of NAMES_LIKE_PREFIXES) {
      expect(isScopeName(name), name).toBe(true);
      expect(ScopeSchema.safeParse(name).success, name).toBe(true);
      expect(normalizeScope(name)).toBe(name);
    }
  });

  it('SCOPE_PATTERN uses lookaheads only, as the OpenAPI document publishes it', () => {
    expect(SCOPE_PATTERN.source).not.toContain('(?<');
  });
});
