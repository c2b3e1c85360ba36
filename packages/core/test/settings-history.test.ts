import { beforeEach, describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  LlmSettingsService,
  confirmProviderEndpoint,
  isLlmSettingsError,
  maskApiKey,
  rotateStoredSecrets,
  DEFAULT_PROVIDER_REGISTRY,
  type SettingsStore,
} from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '../src/testing/index.js';

const KEY = 'sk-proj-HISTORY-KEY-aaaabbbbcccc1111';
const NEW_KEY = 'sk-proj-HISTORY-KEY-ddddeeeeffff2222';

describe('history of every change', () => {
  let store: SettingsStore;
  let service: LlmSettingsService;
  const cipher = createMemoryCipher({ keys: ['history'] });

  beforeEach(() => {
    store = createMemorySettingsStore();
    service = new LlmSettingsService({ store, cipher, probe: createScriptedProbe() });
  });

  const actions = async (scope?: string) => (await service.history({ ...(scope ? { scope } : {}) })).entries.map((e) => [e.action, e.actor, e.fields, e.api_key_changed]);

  it('records each update, inherit and delete once, newest first, with the fields changed and the actor', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o' }, { actor: 'admin' });
    await service.update({ provider: 'openai', model: 'gpt-4.1' });
    await service.update({ provider: 'openai', api_key: NEW_KEY, model: 'gpt-4.1' }, { actor: 'token:abc' });
    await service.update({ inherit_from: 'team-3' }, { actor: 'admin' });
    await service.clear({ actor: 'jwt:user-7' });
    await service.clear();
    expect(await actions()).toEqual([
      ['delete', 'jwt:user-7', ['provider', 'model', 'api_key', 'inherit_from'], true],
      ['inherit', 'admin', ['inherit_from'], false],
      ['update', 'token:abc', ['api_key'], true],
      ['update', 'embedded', ['model'], false],
      ['update', 'admin', ['provider', 'model', 'api_key'], true],
    ]);
  });

  it('records a key sent again as changed: whether it equals the stored one is never told (no oracle)', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o' });
    await service.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o' }, { actor: 'token:same' });
    await service.update({ provider: 'openai', api_key: NEW_KEY, model: 'gpt-4o' }, { actor: 'token:other' });
    const [other, same] = (await service.history()).entries;
    expect([same?.fields, same?.api_key_changed]).toEqual([['api_key'], true]);
    expect([other?.fields, other?.api_key_changed]).toEqual([['api_key'], true]);
  });

  it('records the history of the scope asked for only', async () => {
    await service.update({ provider: 'openai', api_key: KEY }, { scope: 'team-1' });
    await service.update({ provider: 'openai', api_key: KEY }, { scope: 'team-2' });
    expect((await service.history({ scope: 'team-1' })).entries.map((e) => e.scope)).toEqual(['team-1']);
    expect((await service.history()).entries).toEqual([]);
  });

  it('records a rotate and a confirm-endpoint entry per rewritten scope, by their actor', async () => {
    const old = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['A'] }), probe: createScriptedProbe() });
    await old.update({ provider: 'openai', api_key: KEY });
    await old.update({ provider: 'anthropic', api_key: 'sk-ant-api03-HISTORY-0000aaaa' }, { scope: 'team-2' });
    const ring = createMemoryCipher({ keys: ['B', 'A'] });
    await rotateStoredSecrets(store, ring, { actor: 'cli' });
    await confirmProviderEndpoint(store, ring, DEFAULT_PROVIDER_REGISTRY, 'openai');
    const reader = new LlmSettingsService({ store, cipher: ring, probe: createScriptedProbe() });
    expect((await reader.history()).entries.map((e) => [e.action, e.actor, e.fields, e.api_key_changed])).toEqual([
      ['rotate', 'cli', [], false],
      ['update', 'embedded', ['provider', 'model', 'api_key'], true],
    ]);
    expect((await reader.history({ scope: 'team-2' })).entries.map((e) => e.action)).toEqual(['rotate', 'update']);
  });

  it('records confirm-endpoint for each scope whose key it binds anew', async () => {
    // A value saved before keys were bound: no origin.
    const legacy = await cipher.encrypt(JSON.stringify({ provider: 'openai', model: 'gpt-4o', api_key: KEY, scope: 'default' }));
    await store.set('llm_config', legacy);
    expect(await confirmProviderEndpoint(store, cipher, DEFAULT_PROVIDER_REGISTRY, 'openai', { actor: 'cli' })).toMatchObject({ rebound: 1 });
    expect(await actions()).toEqual([['confirm-endpoint', 'cli', [], false]]);
  });

  it('never holds a key, its mask or a body', async () => {
    await service.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o' });
    await service.update({ provider: 'openai', api_key: NEW_KEY });
    await service.clear();
    const text = JSON.stringify(await store.readHistory({ scope: 'default', limit: 100 }));
    for (const secret of [KEY, NEW_KEY, maskApiKey(KEY), maskApiKey(NEW_KEY), KEY.slice(-4), NEW_KEY.slice(-4), 'gpt-4o']) expect(text).not.toContain(secret);
  });

  it('pages with the cursor: every entry once, newest first, next null after the last', async () => {
    for (let i = 0; i < 5; i++) await service.update({ provider: 'openai', api_key: KEY, model: `m${i}` });
    const first = await service.history({ limit: 2 });
    const second = await service.history({ limit: '2', before: first.next });
    const third = await service.history({ limit: 2, before: second.next });
    expect([first, second, third].map((page) => page.entries.length)).toEqual([2, 2, 1]);
    expect(first.next).not.toBeNull();
    expect(third.next).toBeNull();
    const all = await service.history({ limit: 5 });
    expect(all.next).toBeNull();
    expect([...first.entries, ...second.entries, ...third.entries]).toEqual(all.entries);
  });

  it('refuses a limit out of range and a cursor that is not one', async () => {
    for (const query of [{ limit: 0 }, { limit: 201 }, { limit: 'ten' }, { before: 'abc' }, { before: '-1' }]) {
      const error = await service.history(query).catch((e: unknown) => e);
      expect(isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT)).toBe(true);
    }
  });

  it('records nothing for a refused update, a failed If-Match or a clear of nothing', async () => {
    await service.clear();
    await service.update({ provider: 'openai', model: 'x' }).catch(() => undefined);
    await service.update({ provider: 'openai', api_key: KEY }, { ifMatch: '"9-x"' }).catch(() => undefined);
    expect((await service.history()).entries).toEqual([]);
  });
});
