import type { UsageCounts, UsageStore } from '@llm-settings/core';
import { afterEach, beforeEach, describe } from 'vitest';
import type { UsageStoreContractOptions } from './options.js';

/** A row of `scope` on `date` for `provider`/`model`, with the counts given (1 call, no tokens otherwise). */
export function usage(over: Partial<UsageCounts> = {}): UsageCounts {
  return { scope: 'tenant-a', date: '2026-03-04', provider: 'anthropic', model: 'claude-x', calls: 1, failedCalls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, ...over };
}

/** What `promise` rejects with, or undefined when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** The store under test of the running test, and the other instances it opened. */
export interface UsageStoreSubject<S extends UsageStore> {
  readonly store: S;
  secondInstance(): Promise<S>;
}

/** Checks of one concern of the contract. */
export type UsageStoreChecks<S extends UsageStore> = (options: UsageStoreContractOptions<S>, subject: UsageStoreSubject<S>) => void;

/** Registers `checks` under the suite's title (`UsageStore contract: <name>`), each test with a store of its own. */
export function describeUsageStoreChecks<S extends UsageStore>(options: UsageStoreContractOptions<S>, ...checks: readonly UsageStoreChecks<S>[]): void {
  describe(`UsageStore contract: ${options.name}`, () => {
    let store: S | undefined;
    const opened: S[] = [];
    beforeEach(async () => {
      store = await options.create();
      opened.push(store);
    });
    afterEach(async () => {
      for (const each of opened.splice(0).reverse()) await options.teardown?.(each);
    });
    const subject: UsageStoreSubject<S> = {
      get store() {
        if (!store) throw new Error('The store under test exists only while a test runs.');
        return store;
      },
      async secondInstance() {
        const other = await options.openSecondInstance!();
        opened.push(other);
        return other;
      },
    };
    for (const register of checks) register(options, subject);
  });
}
