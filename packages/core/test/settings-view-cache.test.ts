import { beforeEach, describe, expect, it } from 'vitest';
import { LlmSettingsService, type SettingChangeListener, type SettingsStore } from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '../src/testing/index.js';

const KEY = 'sk-proj-CACHED-SECRET-abcdefgh0001';

/** A memory store that counts reads, can hold reads back, and can emit feed events. */
function observedStore() {
  const inner = createMemorySettingsStore();
  const listeners = new Set<SettingChangeListener>();
  let reads = 0;
  let gate: Promise<void> | null = null;
  const store: SettingsStore = {
    ...inner,
    async get(key) {
      reads++;
      const result = await inner.get(key);
      if (gate) await gate;
      return result;
    },
    watch(listener) {
      listeners.add(listener);
      const off = inner.watch(listener);
      return () => {
        listeners.delete(listener);
        off();
      };
    },
  };
  return {
    store,
    inner,
    reads: () => reads,
    listeners,
    holdReads() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
    interruptFeed: () => listeners.forEach((l) => l({ key: null, origin: 'remote' })),
  };
}

describe('LlmSettingsService with viewCache', () => {
  let observed: ReturnType<typeof observedStore>;
  let now: number;
  let service: LlmSettingsService;
  const cipher = createMemoryCipher();

  beforeEach(() => {
    observed = observedStore();
    now = 1_000;
    service = new LlmSettingsService({
      store: observed.store,
      cipher,
      probe: createScriptedProbe(),
      viewCache: { ttlMs: 5_000, maxEntries: 2, now: () => now },
    });
  });

  it('serves repeated reads without reading the store', async () => {
    await service.update({ provider: 'openai', api_key: KEY });
    const first = await service.get();
    const reads = observed.reads();
    expect(await service.get()).toEqual(first);
    expect(await service.get()).toEqual(first);
    expect(observed.reads()).toBe(reads);
  });

  it('caches only masked views', async () => {
    await service.update({ provider: 'openai', api_key: KEY });
    const cached = await service.get();
    expect(JSON.stringify(cached)).not.toContain('CACHED-SECRET');
    expect(Object.isFrozen(cached.view)).toBe(true);
  });

  it('shows a write through the service at once', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'a' });
    expect((await service.get()).view.model).toBe('a');
    await service.update({ provider: 'openai', api_key: KEY, model: 'b' });
    expect((await service.get()).view.model).toBe('b');
    await service.clear();
    expect((await service.get()).view.api_key_set).toBe(false);
  });

  it('shows a write made by another writer on the same store', async () => {
    expect((await service.get()).view.api_key_set).toBe(false);
    const other = new LlmSettingsService({ store: observed.inner, cipher, probe: createScriptedProbe() });
    await other.update({ provider: 'openai', api_key: KEY });
    expect((await service.get()).view.api_key_set).toBe(true);
  });

  it('forgets every view when the change feed reports an interruption', async () => {
    await service.get();
    await service.get({ scope: 'tenant-1' });
    const reads = observed.reads();
    observed.interruptFeed();
    await service.get();
    await service.get({ scope: 'tenant-1' });
    expect(observed.reads()).toBe(reads + 2);
  });

  it('never keeps a read that raced a write', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'old' });
    const release = observed.holdReads();
    const racing = service.get();
    // Written by another writer on the same store, whose reads are not held (an update reads first).
    await new LlmSettingsService({ store: observed.inner, cipher, probe: createScriptedProbe() }).update({ provider: 'openai', api_key: KEY, model: 'new' });
    release();
    await racing;
    expect((await service.get()).view.model).toBe('new');
  });

  it('tells onRead of each read: a miss that read the store, then hits, a shared load counting as a hit', async () => {
    const told: boolean[] = [];
    const counted = new LlmSettingsService({ store: observed.store, cipher, probe: createScriptedProbe(), viewCache: { onRead: (hit) => told.push(hit) } });
    const other = new LlmSettingsService({ store: observed.inner, cipher, probe: createScriptedProbe() });
    await other.update({ provider: 'openai', api_key: KEY });
    const before = observed.reads();
    await counted.get();
    await counted.get();
    expect(told).toEqual([false, true]);
    expect(observed.reads()).toBe(before + 1);
    await other.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o' });
    told.length = 0;
    const release = observed.holdReads();
    const all = Promise.all([counted.get(), counted.get()]);
    release();
    await all;
    expect(told).toEqual([false, true]);
    counted.close();
  });

  it('keeps the view of its own write: the next read needs no store read', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'a' });
    const reads = observed.reads();
    const view = await service.get();
    expect(view.view.model).toBe('a');
    expect(view.viewJson).toBe(JSON.stringify(view.view));
    expect(observed.reads()).toBe(reads);
  });

  it('reads what a replacement replaces from the store, one read for the concurrent writers of a key', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'a' });
    const reads = observed.reads();
    await Promise.all(['b', 'c', 'd', 'e', 'f'].map((model) => service.update({ provider: 'openai', model, api_key: KEY })));
    // The first read, and the one the other four share, begun once the first ended.
    expect(observed.reads() - reads).toBe(2);
    const [latest] = (await service.history()).entries;
    expect(latest).toMatchObject({ action: 'update', fields: ['model', 'api_key'], api_key_changed: true });
  });

  it("keeps a link another process wrote before the replacement came, though that write's event has not come yet", async () => {
    const inner = createMemorySettingsStore();
    const held: Array<() => void> = [];
    const lagging: SettingsStore = { ...inner, watch: (listener) => inner.watch((change) => void held.push(() => listener(change))) };
    const here = new LlmSettingsService({ store: lagging, cipher, probe: createScriptedProbe(), viewCache: true });
    const there = new LlmSettingsService({ store: inner, cipher, probe: createScriptedProbe() });
    await here.update({ provider: 'openai', api_key: KEY, model: 'a' }, { scope: 't1' });
    expect((await here.get({ scope: 't1' })).view.inherit_from).toBeNull();
    await there.update({ inherit_from: 'parent-t1' }, { scope: 't1' });
    await here.update({ provider: 'openai', api_key: `${KEY}-new`, model: 'a' }, { scope: 't1' });
    expect((await there.get({ scope: 't1' })).view).toMatchObject({ inherit_from: 'parent-t1', api_key_source: 'own' });
    const [latest] = (await there.history({ scope: 't1' })).entries;
    expect(latest).toMatchObject({ action: 'update', fields: ['api_key'] });
    held.forEach((deliver) => deliver());
    here.close();
  });

  it("names the fields of a replacement from another writer's change once its event came", async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'a' });
    await new LlmSettingsService({ store: observed.inner, cipher, probe: createScriptedProbe() }).update({ provider: 'openai', api_key: KEY, model: 'b' });
    await service.update({ provider: 'openai', api_key: KEY, model: 'b' });
    const [latest] = (await service.history()).entries;
    // Not the model, which the other writer had set; the key sent is always listed.
    expect(latest).toMatchObject({ action: 'update', fields: ['api_key'] });
  });

  it('does not keep the view of its own write when another change of the scope came meanwhile', async () => {
    // A store that hears another process's write of the same key as each write ends.
    const racing: SettingsStore = {
      ...observed.store,
      async set(key, value, options) {
        const written = await observed.store.set(key, value, options);
        observed.listeners.forEach((listener) => listener({ key, origin: 'remote' }));
        return written;
      },
    };
    const raced = new LlmSettingsService({ store: racing, cipher, probe: createScriptedProbe(), viewCache: true });
    await raced.update({ provider: 'openai', api_key: KEY, model: 'a' });
    const reads = observed.reads();
    expect((await raced.get()).view.model).toBe('a');
    expect(observed.reads()).toBe(reads + 1);
    raced.close();
  });

  it('after concurrent writes of one scope, serves what the store holds', async () => {
    await Promise.all(['a', 'b', 'c'].map((model) => service.update({ provider: 'openai', api_key: KEY, model })));
    const stored = await new LlmSettingsService({ store: observed.inner, cipher, probe: createScriptedProbe() }).get();
    expect(await service.get()).toEqual({ ...stored, viewJson: JSON.stringify(stored.view) });
  });

  it('shares one store read among concurrent readers', async () => {
    const before = observed.reads();
    const release = observed.holdReads();
    const all = Promise.all([service.get(), service.get(), service.get()]);
    release();
    await all;
    expect(observed.reads()).toBe(before + 1);
  });

  it('reads the store again once a view is older than the TTL', async () => {
    await service.get();
    const reads = observed.reads();
    now += 5_001;
    await service.get();
    expect(observed.reads()).toBe(reads + 1);
  });

  it('keeps at most maxEntries views, dropping the oldest', async () => {
    await service.get({ scope: 'a' });
    await service.get({ scope: 'b' });
    await service.get({ scope: 'c' });
    const reads = observed.reads();
    await service.get({ scope: 'c' });
    await service.get({ scope: 'b' });
    expect(observed.reads()).toBe(reads);
    await service.get({ scope: 'a' });
    expect(observed.reads()).toBe(reads + 1);
  });

  it('does not cache failures', async () => {
    await observed.inner.set('llm_config', 'not a token');
    await expect(service.get()).rejects.toMatchObject({ code: 'CRYPTO.UNDECRYPTABLE' });
    await observed.inner.delete('llm_config');
    expect((await service.get()).view.api_key_set).toBe(false);
  });

  it('fills viewJson with the JSON of the cached view, the same string for every reader', async () => {
    await service.update({ provider: 'openai', api_key: KEY });
    const first = await service.get();
    expect(first.viewJson).toBe(JSON.stringify(first.view));
    expect((await service.get()).viewJson).toBe(first.viewJson);
  });

  it('stops following the feed when closed', async () => {
    expect(observed.listeners.size).toBe(1);
    service.close();
    expect(observed.listeners.size).toBe(0);
  });
});
