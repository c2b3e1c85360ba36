import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  LlmSettingsService,
  StorageUnavailableError,
  isLlmSettingsError,
  rotateStoredSecrets,
  type RotatingSecretCipher,
  type SettingRecord,
  type SettingWrite,
  type SettingsStore,
} from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '../src/testing/index.js';

const KEY = 'sk-proj-ROTATION-KEY-000011112222';

describe('rotateStoredSecrets', () => {
  it('re-encrypts every value under the first key so the old key is no longer needed', async () => {
    const store = createMemorySettingsStore();
    const oldOnly = createMemoryCipher({ keys: ['A'] });
    const writer = new LlmSettingsService({ store, cipher: oldOnly, probe: createScriptedProbe() });
    await writer.update({ provider: 'openai', api_key: KEY });
    await writer.update({ provider: 'openai', api_key: KEY }, { scope: 'team-2' });

    const ring = createMemoryCipher({ keys: ['B', 'A'] });
    expect(await rotateStoredSecrets(store, ring)).toEqual({ total: 2, rotated: 2 });
    expect(await rotateStoredSecrets(store, ring)).toEqual({ total: 2, rotated: 0 });

    const newOnly = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['B'] }), probe: createScriptedProbe() });
    expect((await newOnly.get()).view.api_key_masked).toBe('...2222');
    expect((await newOnly.get({ scope: 'team-2' })).view.api_key_set).toBe(true);
  });

  it('writes nothing when any value cannot be decrypted, and names the key only', async () => {
    const store = createMemorySettingsStore();
    const a = createMemoryCipher({ keys: ['A'] });
    await store.set('llm_config', await a.encrypt(KEY));
    await store.set('llm_config:z', await createMemoryCipher({ keys: ['Z'] }).encrypt(KEY));
    const before = await all(store.list());

    const error = await rotateStoredSecrets(store, createMemoryCipher({ keys: ['B', 'A'] })).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)).toBe(true);
    expect((error as Error).message).toContain('llm_config:z');
    expect((error as Error).message).not.toContain(KEY.slice(-8));
    expect(await all(store.list())).toEqual(before);
  });

  it('writes a large store in batches of a few hundred values, each with its history entries', async () => {
    const { store } = await storeUnderOld(500);
    const batches: SettingWrite[][] = [];
    const recorded: SettingsStore = { ...store, setMany: (writes) => (batches.push([...writes]), store.setMany(writes)) };

    expect(await rotateStoredSecrets(recorded, ring, { actor: 'cli' })).toEqual({ total: 500, rotated: 500 });
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(300);
    expect(batches.flat().map((write) => write.key)).toEqual(keys(500));
    expect(batches.flat().every((write) => write.history?.action === 'rotate' && write.history.actor === 'cli')).toBe(true);
    expect(await plaintexts(store, newOnly)).toEqual(originals(500));
  });

  it('keeps what another writer stored between the listing and the batch write: a value under the new key as written, one under the old key rotated from its new content', async () => {
    const { store } = await storeUnderOld(500);
    const [underNew, underOld] = [keyOf(498), keyOf(499)];
    let serverWritten: SettingRecord | undefined;
    // A server running with "NEW,OLD" (the documented step 2), and one still running with OLD.
    const busy = writingBeforeFirstBatch(store, async () => {
      serverWritten = await store.set(underNew, await newOnly.encrypt('saved by the server under NEW'));
      await store.set(underOld, await oldOnly.encrypt('saved by a server still under OLD'));
    });

    expect(await rotateStoredSecrets(busy, ring)).toEqual({ total: 500, rotated: 499 });
    expect(await store.get(underNew)).toEqual(serverWritten);
    expect(await newOnly.decrypt((await store.get(underOld))!.value)).toBe('saved by a server still under OLD');
    const expected = originals(500);
    expected[498] = 'saved by the server under NEW';
    expected[499] = 'saved by a server still under OLD';
    expect(await plaintexts(store, newOnly)).toEqual(expected);
  });

  it('does not bring back a value another writer deleted between the listing and the batch write', async () => {
    const { store } = await storeUnderOld(500);
    const busy = writingBeforeFirstBatch(store, async () => void (await store.delete(keyOf(450))));

    expect(await rotateStoredSecrets(busy, ring)).toEqual({ total: 500, rotated: 499 });
    expect(await store.get(keyOf(450))).toBeNull();
    expect(await plaintexts(store, newOnly)).toEqual(originals(500).filter((_, i) => i !== 450));
  });

  it('gives up with a conflict naming the key when a value keeps changing, leaving every value readable and the earlier batches rotated', async () => {
    const { store } = await storeUnderOld(500);
    let attempts = 0;
    const busy: SettingsStore = {
      ...store,
      async setMany(writes) {
        if (writes.some((write) => write.key === keyOf(499))) {
          attempts++;
          await store.set(keyOf(499), await oldOnly.encrypt(`changed again ${attempts}`));
        }
        return store.setMany(writes);
      },
    };

    const error = await rotateStoredSecrets(busy, ring).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)).toBe(true);
    expect((error as Error).message).toContain(`"${keyOf(499)}" kept changing while they were rotated (5 attempts)`);
    expect((error as Error).message).not.toContain('changed again');
    expect(attempts).toBe(5);
    const values = await all(store.list());
    expect(newOnly.isCurrent(values[0]!.value)).toBe(true);
    expect(oldOnly.isCurrent(values[499]!.value)).toBe(true);
    expect(await plaintexts(store, ring)).toEqual([...originals(499), 'changed again 5']);
  });

  it('stops with the key named when a value written meanwhile opens with no configured key', async () => {
    const { store } = await storeUnderOld(500);
    const busy = writingBeforeFirstBatch(store, async () => void (await store.set(keyOf(499), await createMemoryCipher({ keys: ['Z'] }).encrypt(KEY))));

    const error = await rotateStoredSecrets(busy, ring).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)).toBe(true);
    expect((error as Error).message).toContain(`"${keyOf(499)}"`);
    expect((error as Error).message).not.toContain(KEY.slice(-8));
  });

  it('interrupted between batches, leaves every value readable with the key ring; run again, finishes and reports what it moved', async () => {
    const { store } = await storeUnderOld(500);
    let batches = 0;
    const crashing: SettingsStore = {
      ...store,
      setMany: (writes) => (++batches === 2 ? Promise.reject(new StorageUnavailableError()) : store.setMany(writes)),
    };

    await expect(rotateStoredSecrets(crashing, ring)).rejects.toThrow(StorageUnavailableError);
    const moved = (await all(store.list())).filter((record) => newOnly.isCurrent(record.value)).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(500);
    expect(await plaintexts(store, ring)).toEqual(originals(500));

    expect(await rotateStoredSecrets(store, ring)).toEqual({ total: 500, rotated: 500 - moved });
    expect(await plaintexts(store, newOnly)).toEqual(originals(500));
    expect(await rotateStoredSecrets(store, ring)).toEqual({ total: 500, rotated: 0 });
  });
});

const oldOnly = createMemoryCipher({ keys: ['OLD'] });
const newOnly = createMemoryCipher({ keys: ['NEW'] });
const ring = createMemoryCipher({ keys: ['NEW', 'OLD'] });

/** Store keys in the order `list` returns them. */
const keyOf = (index: number) => `llm_config:team-${String(index).padStart(4, '0')}`;
const keys = (count: number) => Array.from({ length: count }, (_, i) => keyOf(i));
const originals = (count: number) => Array.from({ length: count }, (_, i) => `settings ${i}`);

/** A memory store holding `count` values under OLD. */
async function storeUnderOld(count: number): Promise<{ store: SettingsStore }> {
  const store = createMemorySettingsStore();
  await store.setMany(await Promise.all(originals(count).map(async (plain, i) => ({ key: keyOf(i), value: await oldOnly.encrypt(plain) }))));
  return { store };
}

/** `store`, where `write` runs once, after the listing and before the first batch is written. */
function writingBeforeFirstBatch(store: SettingsStore, write: () => Promise<void>): SettingsStore {
  let pending: (() => Promise<void>) | null = write;
  return {
    ...store,
    async setMany(writes) {
      const due = pending;
      pending = null;
      await due?.();
      return store.setMany(writes);
    },
  };
}

async function plaintexts(store: SettingsStore, cipher: RotatingSecretCipher): Promise<string[]> {
  return Promise.all((await all(store.list())).map((record) => cipher.decrypt(record.value)));
}

async function all(records: AsyncIterable<SettingRecord>): Promise<SettingRecord[]> {
  const out: SettingRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}
