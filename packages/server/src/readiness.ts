import { settingsKeyFor, DEFAULT_SCOPE, type SettingsStore } from '@llm-settings/core';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'fail'>;
}

/** How long a readiness probe waits for the store before calling it unreachable. */
const STORAGE_CHECK_TIMEOUT_MS = 2_000;

/**
 * Ready when the store answers a read. The keys are loaded before the server
 * listens (the cipher is built at start), so a listening server has them.
 */
export async function checkReadiness(store: SettingsStore): Promise<ReadinessReport> {
  const storage = await withTimeout(store.get(settingsKeyFor(DEFAULT_SCOPE)), STORAGE_CHECK_TIMEOUT_MS).then(
    () => 'ok' as const,
    () => 'fail' as const,
  );
  return { ready: storage === 'ok', checks: { storage, encryption_keys: 'ok' } };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
