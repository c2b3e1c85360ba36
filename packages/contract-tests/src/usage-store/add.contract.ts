import type { UsageStore } from '@llm-settings/core';
import { expect, it } from 'vitest';
import type { UsageStoreContractOptions } from './options.js';
import { describeUsageStoreChecks, usage, type UsageStoreSubject } from './support.js';

/** `add`: rows created, then incremented, each count on its own. */
export function addChecks<S extends UsageStore>(_options: UsageStoreContractOptions<S>, subject: UsageStoreSubject<S>): void {
  it('add - creates a row with the counts given, read back as added', async () => {
    const row = usage({ calls: 3, failedCalls: 1, inputTokens: 120, outputTokens: 45, cachedInputTokens: 30 });
    await subject.store.add([row]);
    expect(await subject.store.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' })).toEqual([row]);
  });

  it('add - adds every count to an existing row, in one call or across calls', async () => {
    await subject.store.add([usage({ calls: 1, failedCalls: 0, inputTokens: 10, outputTokens: 5, cachedInputTokens: 1 })]);
    await subject.store.add([
      usage({ calls: 2, failedCalls: 1, inputTokens: 20, outputTokens: 7, cachedInputTokens: 3 }),
      usage({ calls: 1, failedCalls: 1, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 }),
    ]);
    expect(await subject.store.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' })).toEqual([
      usage({ calls: 4, failedCalls: 2, inputTokens: 30, outputTokens: 12, cachedInputTokens: 4 }),
    ]);
  });

  it('add - keeps a row per scope, date, provider and model: a change in any one is another row', async () => {
    await subject.store.add([usage(), usage({ date: '2026-03-05' }), usage({ provider: 'openai' }), usage({ model: 'claude-y' }), usage({ scope: 'tenant-b' })]);
    expect(await subject.store.read({ scope: 'tenant-a', from: '2026-03-01', to: '2026-03-31' })).toHaveLength(4);
    expect(await subject.store.read({ scope: 'tenant-b', from: '2026-03-01', to: '2026-03-31' })).toEqual([usage({ scope: 'tenant-b' })]);
  });

  it('add - keeps scopes differing only in case apart: each reads back its own rows only', async () => {
    const scopes = ['tenant-a', 'Tenant-A', 'TENANT-A'];
    await subject.store.add(scopes.map((scope, i) => usage({ scope, calls: i + 1 })));
    for (const [i, scope] of scopes.entries()) {
      expect(await subject.store.read({ scope, from: '2026-03-04', to: '2026-03-04' }), scope).toEqual([usage({ scope, calls: i + 1 })]);
    }
  });

  it('add - keeps model names as data: case, quotes, non-ASCII and 128 characters', async () => {
    const models = ['Model-X', 'model-x', "it's \"quoted\"; DROP TABLE llm_usage;--", 'modèle-日本', 'm'.repeat(128)];
    await subject.store.add(models.map((model) => usage({ model })));
    const read = await subject.store.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' });
    expect(read.map((row) => row.model).sort()).toEqual([...models].sort());
  });

  it('add - takes counts beyond 32 bits (a busy tenant over a year of tokens)', async () => {
    await subject.store.add([usage({ inputTokens: 3_000_000_000 }), usage({ inputTokens: 3_000_000_000 })]);
    const [row] = await subject.store.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' });
    expect(row?.inputTokens).toBe(6_000_000_000);
  });

  it('add - of no entries changes nothing', async () => {
    await subject.store.add([]);
    expect(await subject.store.read({ scope: 'tenant-a', from: '2000-01-01', to: '2999-12-31' })).toEqual([]);
  });
}

/** Registers the `add` checks alone. Call it at the top level of a test file. */
export function describeUsageStoreAdd<S extends UsageStore>(options: UsageStoreContractOptions<S>): void {
  describeUsageStoreChecks(options, addChecks);
}
