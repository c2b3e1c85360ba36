import { settingsKeyFor, DEFAULT_SCOPE, type SettingsStore } from '@llm-settings/core';
import type { ReadinessCheck, ReadinessReport } from '@llm-settings/http-koa';

export interface ReadinessCheckOptions {
  /**
   * How long a finished check's result, ready or not, answers later calls.
   * @default 1000
   */
  reuseMs?: number;
  /**
   * Clock in milliseconds, for tests.
   * @default performance.now (monotonic)
   */
  now?: () => number;
}

/** How long a readiness probe waits for the store before calling it unreachable. */
const STORAGE_CHECK_TIMEOUT_MS = 2_000;
const DEFAULT_REUSE_MS = 1_000;

/**
 * A readiness check that reads the store at most once per `reuseMs`: concurrent callers
 * share the check in flight, and its result is reused until `reuseMs` after it finished.
 * /readyz needs no token, so a read per request would let anyone slow the store down.
 * Ready when the store answers a read. The keys are loaded before the server listens
 * (the cipher is built at start), so a listening server has them.
 */
export function createReadinessCheck(store: SettingsStore, options: ReadinessCheckOptions = {}): ReadinessCheck {
  const reuseMs = options.reuseMs ?? DEFAULT_REUSE_MS;
  const now = options.now ?? (() => performance.now());
  let latest: Promise<ReadinessReport> | undefined;
  let reusableUntil = 0;
  return () => {
    if (latest !== undefined && now() < reusableUntil) return latest;
    reusableUntil = Infinity; // shared while in flight
    latest = checkStore(store).then((report) => {
      reusableUntil = now() + reuseMs;
      return report;
    });
    return latest;
  };
}

async function checkStore(store: SettingsStore): Promise<ReadinessReport> {
  let storage: 'ok' | 'fail' = 'ok';
  try {
    await withTimeout(store.get(settingsKeyFor(DEFAULT_SCOPE)), STORAGE_CHECK_TIMEOUT_MS);
  } catch {
    storage = 'fail';
  }
  return { ready: storage === 'ok', checks: { storage, encryption_keys: 'ok' } };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
