import { ErrorCodes, type SettingChangeListener, type SettingRecord, type SettingsStore } from '@llm-settings/core';
import { afterEach, beforeEach, describe, expect } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';

/** 64 KiB of varied base64url text: the largest value the port promises to keep. */
export function largeValue(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let text = '';
  for (let i = 0; text.length < 64 * 1024; i += 1) text += alphabet[(i * 37 + (i >> 6)) % alphabet.length];
  return text;
}

/**
 * Orders strings by Unicode code point, the order `list` promises. Written here rather than
 * taken from core's `compareCodePoints`, so that the suite's expectation stays independent of
 * the code the reference adapters sort with.
 */
export function byCodePoint(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return left.length - right.length;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Checks by name and code rather than instanceof, so a store built against another copy of core passes. */
export async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error, 'expected a ConflictError').toBeInstanceOf(Error);
  expect(error).toMatchObject({ name: 'ConflictError', code: ErrorCodes.SETTINGS_CONFLICT });
}

export async function listAll(store: SettingsStore): Promise<SettingRecord[]> {
  const records: SettingRecord[] = [];
  for await (const record of store.list()) records.push(record);
  return records;
}


/**
 * Subscribes `listener` to the changes of `store`'s own writes. A store shared between
 * processes may report remote changes at any time too (another process's write, its feed
 * starting or interrupted): the checks of another instance look at those.
 */
export function watchLocal(store: SettingsStore, listener: SettingChangeListener): () => void {
  return store.watch((change) => {
    if (change.origin === 'local') listener(change);
  });
}

/** The value a key holds now, read through the store; null when absent or for a null key. */
export async function readValue(store: SettingsStore, key: string | null): Promise<string | null> {
  return key === null ? null : ((await store.get(key))?.value ?? null);
}

/** The store under test of the running test, made before it and closed after it, with the other instances the test opened. */
export interface StoreSubject<S extends SettingsStore> {
  /** The store `create` made for the running test. */
  readonly store: S;
  /** Opens another instance on the same backend (`openSecondInstance`), closed after the test. */
  secondInstance(): Promise<SettingsStore>;
  /** Closes `other` after the test, before the store under test. */
  closeAfterTest(other: SettingsStore): void;
}

/** Registers, in the describe block being collected, the hooks that make and close the store of each test. */
function useStoreSubject<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): StoreSubject<S> {
  const teardown = options.teardown ?? ((store: S) => store.close());
  let store: S | undefined;
  const others: SettingsStore[] = [];

  beforeEach(async () => {
    store = await options.create();
    await options.reset?.(store);
  });

  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    if (store) await teardown(store);
  });

  return {
    get store() {
      if (!store) throw new Error('The store under test exists only while a test runs.');
      return store;
    },
    async secondInstance() {
      const other = await options.openSecondInstance!();
      others.push(other);
      return other;
    },
    closeAfterTest(other) {
      others.push(other);
    },
  };
}

/** Checks of one concern of the contract, registered for the store under test. */
export type StoreChecks<S extends SettingsStore> = (options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>) => void;

/**
 * Registers `checks` under the suite's title (`SettingsStore contract: <name>`), each test
 * with a store of its own: the whole contract, or one concern of it.
 */
export function describeStoreChecks<S extends SettingsStore>(options: SettingsStoreContractOptions<S>, ...checks: readonly StoreChecks<S>[]): void {
  describe(`SettingsStore contract: ${options.name}`, () => {
    const subject = useStoreSubject(options);
    for (const register of checks) register(options, subject);
  });
}
