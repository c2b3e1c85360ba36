import { describe, expect, it, vi } from 'vitest';
import type { SettingsStore } from '@llm-settings/core';
import { createMemorySettingsStore } from '@llm-settings/core/testing';
import { createReadinessCheck } from '../src/readiness.js';

/** A store whose reads wait until `settle` is called, counting them. */
function gatedStore() {
  const store = createMemorySettingsStore();
  let release: (() => void) | undefined;
  let failure: Error | undefined;
  const get = vi.fn(async (key: string) => {
    await new Promise<void>((resolve) => (release = resolve));
    if (failure) throw failure;
    return store.get(key);
  });
  return {
    store: { ...store, get } as SettingsStore,
    reads: () => get.mock.calls.length,
    /** Lets the pending read finish, failing with `error` when given. */
    async settle(error?: Error) {
      failure = error;
      await vi.waitFor(() => expect(release).toBeDefined());
      release!();
      release = undefined;
    },
  };
}

describe('createReadinessCheck', () => {
  it('shares one store read among 100 concurrent callers', async () => {
    const { store, reads, settle } = gatedStore();
    const check = createReadinessCheck(store);
    const reports = Array.from({ length: 100 }, () => check());
    await settle();
    expect(await Promise.all(reports)).toEqual(Array(100).fill({ ready: true, checks: { storage: 'ok', encryption_keys: 'ok' } }));
    expect(reads()).toBe(1);
  });

  it('reuses the result for reuseMs (1 s by default), then reads again', async () => {
    let now = 0;
    const { store, reads, settle } = gatedStore();
    const check = createReadinessCheck(store, { now: () => now });
    const first = check();
    await settle();
    await first;

    now = 999;
    await Promise.all(Array.from({ length: 10 }, () => check()));
    expect(reads()).toBe(1);

    now = 1_000;
    const next = check();
    await settle();
    expect(await next).toMatchObject({ ready: true });
    expect(reads()).toBe(2);
  });

  it('keeps a failed check no longer than reuseMs either', async () => {
    let now = 0;
    const { store, reads, settle } = gatedStore();
    const check = createReadinessCheck(store, { reuseMs: 250, now: () => now });
    const failed = check();
    await settle(new Error('SQLITE_BUSY'));
    expect(await failed).toEqual({ ready: false, checks: { storage: 'fail', encryption_keys: 'ok' } });

    now = 249;
    expect(await check()).toMatchObject({ ready: false });
    expect(reads()).toBe(1);

    now = 250;
    const recovered = check();
    await settle();
    expect(await recovered).toMatchObject({ ready: true });
    expect(reads()).toBe(2);
  });
});
