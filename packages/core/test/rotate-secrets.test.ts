import { describe, expect, it } from 'vitest';
import { ErrorCodes, LlmSettingsService, isLlmSettingsError, rotateStoredSecrets, type SettingRecord } from '../src/index.js';
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
});

async function all(records: AsyncIterable<SettingRecord>): Promise<SettingRecord[]> {
  const out: SettingRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}
