import type { UsageStore } from '@llm-settings/core';
import { expect, it } from 'vitest';
import type { UsageStoreContractOptions } from './options.js';
import { describeUsageStoreChecks, usage, type UsageStoreSubject } from './support.js';

/** `read` and `prune`: one scope, a range of days, the promised order; old rows deleted. */
export function readChecks<S extends UsageStore>(_options: UsageStoreContractOptions<S>, subject: UsageStoreSubject<S>): void {
  it('read - returns the rows of one scope from `from` to `to`, both included, sorted by date, provider, then model', async () => {
    await subject.store.add([
      usage({ date: '2026-03-05', provider: 'openai', model: 'b' }),
      usage({ date: '2026-03-05', provider: 'anthropic', model: 'z' }),
      usage({ date: '2026-03-03', model: 'Z' }),
      usage({ date: '2026-03-05', provider: 'openai', model: 'a' }),
      usage({ date: '2026-03-02' }),
      usage({ date: '2026-03-06' }),
      usage({ date: '2026-03-04', scope: 'tenant-b' }),
    ]);
    const rows = await subject.store.read({ scope: 'tenant-a', from: '2026-03-03', to: '2026-03-05' });
    expect(rows.map((row) => [row.date, row.provider, row.model])).toEqual([
      ['2026-03-03', 'anthropic', 'Z'],
      ['2026-03-05', 'anthropic', 'z'],
      ['2026-03-05', 'openai', 'a'],
      ['2026-03-05', 'openai', 'b'],
    ]);
  });

  it('read - sorts models of one day and provider in code point order: case, accents and characters beyond the BMP', async () => {
    // Code point order, not a locale's (model-x before Model-X) nor UTF-16's (😀 before ｚ).
    const models = ['😀', 'ｚ', 'model-x', 'é-model', 'Model-X', 'model-x2'];
    await subject.store.add(models.map((model) => usage({ model })));
    const rows = await subject.store.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' });
    expect(rows.map((row) => row.model)).toEqual(['Model-X', 'model-x', 'model-x2', 'é-model', 'ｚ', '😀']);
  });

  it('read - returns [] for a scope without rows', async () => {
    await subject.store.add([usage()]);
    expect(await subject.store.read({ scope: 'nobody', from: '2026-01-01', to: '2026-12-31' })).toEqual([]);
  });

  it('prune - deletes the rows of every scope dated before the day given, that day kept, and says how many', async () => {
    await subject.store.add([usage({ date: '2026-01-01' }), usage({ date: '2026-01-01', scope: 'tenant-b' }), usage({ date: '2026-01-02' }), usage({ date: '2026-02-01' })]);
    expect(await subject.store.prune('2026-01-02')).toBe(2);
    expect((await subject.store.read({ scope: 'tenant-a', from: '2000-01-01', to: '2999-12-31' })).map((row) => row.date)).toEqual(['2026-01-02', '2026-02-01']);
    expect(await subject.store.read({ scope: 'tenant-b', from: '2000-01-01', to: '2999-12-31' })).toEqual([]);
    expect(await subject.store.prune('2026-01-02')).toBe(0);
  });
}

/** Registers the `read` and `prune` checks alone. Call it at the top level of a test file. */
export function describeUsageStoreRead<S extends UsageStore>(options: UsageStoreContractOptions<S>): void {
  describeUsageStoreChecks(options, readChecks);
}
