import { describe, expect, it } from 'vitest';
import { LlmSettingsService, DEFAULT_SCOPE, type SettingChangeListener, type SettingsStore } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe, settingsKeyFor } from '@llm-settings/core/testing';

/*
 * The race the PostgreSQL load run found, replayed deterministically: two DELETEs
 * overlap; the first commits but its change event is still on its way when the second
 * finds nothing to delete and answers 204. A GET after that answer must not be served
 * the deleted view from the cache.
 */

/** A store whose change events can be held back, as a slow connection delays a write's answer. */
function storeWithDelayedEvents(inner: SettingsStore) {
  const held: Array<() => void> = [];
  let holding = false;
  const store: SettingsStore = {
    get: (key) => inner.get(key),
    set: (key, value, options) => inner.set(key, value, options),
    setMany: (writes) => inner.setMany(writes),
    delete: (key, options) => inner.delete(key, options),
    readHistory: (query) => inner.readHistory(query),
    pruneHistory: (cutoff) => inner.pruneHistory(cutoff),
    list: () => inner.list(),
    close: () => inner.close(),
    watch: (listener: SettingChangeListener) =>
      inner.watch((change) => (holding ? held.push(() => listener(change)) : listener(change))),
  };
  return {
    store,
    hold: () => (holding = true),
    /** Later events are delivered at once; held ones wait for `release`. */
    stopHolding: () => (holding = false),
    release: () => {
      holding = false;
      for (const deliver of held.splice(0)) deliver();
    },
  };
}

describe('view cache and overlapping deletes', () => {
  it('a DELETE that finds nothing to delete still drops the cached view', async () => {
    const inner = createMemorySettingsStore();
    const { store, hold, stopHolding, release } = storeWithDelayedEvents(inner);
    const service = new LlmSettingsService({ store, cipher: createMemoryCipher(), probe: createScriptedProbe(), viewCache: true });
    await service.update({ provider: 'openai', api_key: 'sk-cache-race-0000000000' });
    expect((await service.get()).view.api_key_set).toBe(true); // now cached

    hold();
    await inner.delete(settingsKeyFor(DEFAULT_SCOPE)); // the first DELETE: committed, its event held back
    const late = release; // delivered only after the second DELETE has been answered
    stopHolding();
    await service.clear(); // the second DELETE: nothing left to delete, answered
    expect((await service.get()).view.api_key_set).toBe(false);
    late();
    expect((await service.get()).view.api_key_set).toBe(false);
  });
});
