import { describe, expect, it } from 'vitest';
import { ErrorCodes, LlmSettingsService, TokenRevocations, isLlmSettingsError, rotateStoredSecrets, type SettingsStore } from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '../src/testing/index.js';

const cipher = createMemoryCipher({ keys: ['A'] });

describe('TokenRevocations', () => {
  it('revokedBefore - answers null for a scope never revoked, and the time once revoked', async () => {
    const store = createMemorySettingsStore();
    const at = new Date('2026-01-02T03:04:05.678Z');
    const revocations = new TokenRevocations(store, cipher, { now: () => at });
    expect(await revocations.revokedBefore('tenant-a')).toBeNull();
    expect(await revocations.revoke('tenant-a')).toEqual(at);
    expect(await revocations.revokedBefore('tenant-a')).toEqual(at);
    expect(await revocations.revokedBefore('tenant-b')).toBeNull();
  });

  it('revoke - records one revoke-tokens entry in the scope\'s history, by its actor, with no field changed', async () => {
    const store = createMemorySettingsStore();
    await new TokenRevocations(store, cipher).revoke('tenant-a', { actor: 'cli' });
    const entries = await store.readHistory({ scope: 'tenant-a', limit: 10 });
    expect(entries.map(({ scope, action, actor, fields, apiKeyChanged }) => ({ scope, action, actor, fields: [...fields], apiKeyChanged }))).toEqual([
      { scope: 'tenant-a', action: 'revoke-tokens', actor: 'cli', fields: [], apiKeyChanged: false },
    ]);
  });

  it('revokedBefore - answers from memory until the change feed drops the scope', async () => {
    const store = createMemorySettingsStore();
    const reader = new TokenRevocations(store, cipher);
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (key) => (reads++, get(key));
    await reader.revokedBefore('tenant-a');
    await reader.revokedBefore('tenant-a');
    expect(reads).toBe(1);
    // Another instance on the same store: its write reaches the reader through the feed.
    await new TokenRevocations(store, cipher).revoke('tenant-a');
    expect(await reader.revokedBefore('tenant-a')).not.toBeNull();
    expect(reads).toBe(2);
  });

  it('revokedBefore - reads the store again once 1 s old (ttlMs): a revocation the change feed missed is seen then', async () => {
    const store = createMemorySettingsStore();
    // This reader hears none of the store's writes, as behind a LISTEN connection gone silent.
    const deaf: SettingsStore = { ...store, watch: () => () => undefined };
    let clock = Date.parse('2026-01-02T03:04:05.000Z');
    const reader = new TokenRevocations(deaf, cipher, { now: () => new Date(clock) });
    expect(await reader.revokedBefore('tenant-a')).toBeNull();
    const at = await new TokenRevocations(store, cipher).revoke('tenant-a');
    clock += 999;
    expect(await reader.revokedBefore('tenant-a')).toBeNull();
    clock += 1;
    expect(await reader.revokedBefore('tenant-a')).toEqual(at);
  });

  it('revokedBefore - within ttlMs one read serves every call, concurrent ones included; a clock set back reads again', async () => {
    const store = createMemorySettingsStore();
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (key) => (reads++, get(key));
    let clock = 1_000_000;
    const reader = new TokenRevocations(store, cipher, { ttlMs: 5_000, now: () => new Date(clock) });
    await Promise.all(Array.from({ length: 10 }, () => reader.revokedBefore('tenant-a')));
    clock += 4_999;
    await reader.revokedBefore('tenant-a');
    expect(reads).toBe(1);
    clock += 1;
    await Promise.all([reader.revokedBefore('tenant-a'), reader.revokedBefore('tenant-a')]);
    expect(reads).toBe(2);
    clock -= 1;
    await reader.revokedBefore('tenant-a');
    expect(reads).toBe(3);
  });

  it('revokedBefore - rejects, and keeps nothing, when the stored time cannot be opened', async () => {
    const store = createMemorySettingsStore();
    await new TokenRevocations(store, createMemoryCipher({ keys: ['Z'] })).revoke('tenant-a');
    const revocations = new TokenRevocations(store, cipher);
    await expect(revocations.revokedBefore('tenant-a')).rejects.toSatisfy((error) => isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE));
    await expect(revocations.revokedBefore('tenant-a')).rejects.toThrow();
  });

  it('revokedBefore - rejects a record copied under another scope’s key', async () => {
    const store = createMemorySettingsStore();
    await new TokenRevocations(store, cipher).revoke('tenant-a');
    const record = await store.get('llm_tokens_revoked:tenant-a');
    await store.set('llm_tokens_revoked:tenant-b', record!.value);
    await expect(new TokenRevocations(store, cipher).revokedBefore('tenant-b')).rejects.toSatisfy((error) => isLlmSettingsError(error, ErrorCodes.SETTINGS_CORRUPTED));
  });

  it('revoke - refuses an invalid scope', async () => {
    await expect(new TokenRevocations(createMemorySettingsStore(), cipher).revoke('no spaces')).rejects.toSatisfy((error) => isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT));
  });

  it('revocations are no scope: settings reads, key rotation and rewrites pass them by', async () => {
    const store = createMemorySettingsStore();
    const service = new LlmSettingsService({ store, cipher, probe: createScriptedProbe() });
    await service.update({ provider: 'openai', api_key: 'sk-proj-REVOCATION-TEST-0000111122' }, { scope: 'tenant-a' });
    await new TokenRevocations(store, cipher).revoke('tenant-a');
    expect((await service.get({ scope: 'tenant-a' })).view.api_key_set).toBe(true);
    const ring = createMemoryCipher({ keys: ['B', 'A'] });
    expect(await rotateStoredSecrets(store, ring)).toEqual({ total: 2, rotated: 2 });
    expect(await new TokenRevocations(store, createMemoryCipher({ keys: ['B'] })).revokedBefore('tenant-a')).not.toBeNull();
  });
});
