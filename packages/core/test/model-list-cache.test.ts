import { describe, expect, it } from 'vitest';
import type { ListedModel } from '../src/index.js';
import { ModelListCache, estimatedListBytes } from '../src/use-cases/model-list-cache.js';
import type { ScopeChangeListener } from '../src/use-cases/settings-repository.js';

/** A change feed the test drives: `emit` is what the store sends on a write. */
function changeFeed() {
  const listeners = new Set<ScopeChangeListener>();
  return {
    watch(listener: ScopeChangeListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit: (scope: string | null) => listeners.forEach((listener) => listener(scope)),
  };
}

const models = (scope: string, count: number, chars = 40): ListedModel[] =>
  Array.from({ length: count }, (_, m) => ({ id: `${scope}-${m}-`.padEnd(chars, 'i'), displayName: `${scope} ${m} `.padEnd(chars, 'n') }));

describe('ModelListCache byte budget', () => {
  const token = 'token-1';
  const size = (scope: string, count: number) => estimatedListBytes(scope, token, models(scope, count));

  it('keeps the sum of its lists within maxBytes, dropping the oldest first', () => {
    const maxBytes = 10 * size('s00', 100);
    const cache = new ModelListCache(changeFeed(), { maxBytes });
    const scopes = Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const scope of scopes) {
      cache.set(scope, token, models(scope, 100));
      const kept = scopes.flatMap((s) => {
        const list = cache.get(s, token);
        return list === null ? [] : [estimatedListBytes(s, token, list)];
      });
      expect(kept.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThanOrEqual(maxBytes);
    }
    // The newest ten fit exactly; every older one went first.
    expect(scopes.filter((s) => cache.get(s, token) !== null)).toEqual(scopes.slice(30));
  });

  it('makes room for a big list by dropping as many of the oldest as it needs', () => {
    const maxBytes = 4 * size('s0', 100);
    const cache = new ModelListCache(changeFeed(), { maxBytes });
    for (const scope of ['s0', 's1', 's2', 's3']) cache.set(scope, token, models(scope, 100));
    cache.set('big', token, models('big', 250));
    expect(['s0', 's1', 's2', 's3', 'big'].map((s) => cache.get(s, token) !== null)).toEqual([false, false, false, true, true]);
  });

  it('does not keep a list larger than the whole budget, nor drop the others for it', () => {
    const cache = new ModelListCache(changeFeed(), { maxBytes: size('small', 10) + size('other', 10) });
    cache.set('small', token, models('small', 10));
    cache.set('other', token, models('other', 10));
    cache.set('huge', token, models('huge', 2000, 256));
    expect(cache.get('huge', token)).toBeNull();
    expect(cache.get('small', token)).toHaveLength(10);
    expect(cache.get('other', token)).toHaveLength(10);
  });

  /** A cache of lists living 1 s, on a clock the test sets, with room for `lists` lists of 50 models. */
  const clocked = (lists: number) => {
    const clock = { now: 0 };
    const cache = new ModelListCache(changeFeed(), { maxBytes: lists * size('a', 50), ttlMs: 1000, now: () => clock.now });
    cache.set('a', token, models('a', 50));
    cache.set('b', token, models('b', 50));
    return { clock, cache };
  };

  it('releases an expired list when it is met, and frees its bytes for new ones', () => {
    const { clock, cache } = clocked(2);
    clock.now = 1000;
    expect(cache.get('a', token)).toBeNull();
    clock.now = 0;
    // 'a' is gone, not only hidden: its room went back to the budget, so 'b' stays beside 'c'.
    expect(cache.get('a', token)).toBeNull();
    cache.set('c', token, models('c', 50));
    expect(cache.get('b', token)).toHaveLength(50);
    expect(cache.get('c', token)).toHaveLength(50);
  });

  it('drops the expired lists on set, before any live one', () => {
    const { clock, cache } = clocked(3);
    clock.now = 500;
    cache.set('c', token, models('c', 50));
    clock.now = 1200;
    // 'a' and 'b' expired: both are released for 'd', though dropping 'a' alone made room; 'c' stays.
    cache.set('d', token, models('d', 10));
    clock.now = 0;
    expect(['a', 'b', 'c', 'd'].map((s) => cache.get(s, token) !== null)).toEqual([false, false, true, true]);
  });

  it('gives back the bytes of a list the change feed drops', () => {
    const feed = changeFeed();
    const cache = new ModelListCache(feed, { maxBytes: 2 * size('a', 50) });
    cache.set('a', token, models('a', 50));
    cache.set('b', token, models('b', 50));
    feed.emit('a');
    cache.set('c', token, models('c', 50));
    expect(cache.get('b', token)).toHaveLength(50);
    feed.emit(null);
    expect(cache.get('b', token)).toBeNull();
    cache.set('d', token, models('d', 50));
    cache.set('e', token, models('e', 50));
    expect(cache.get('d', token)).toHaveLength(50);
  });
});
