import type { Logger, SettingsStore } from '@llm-settings/core';

/** How often the history is pruned; the first prune runs soon after start. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface HistoryPruningOptions {
  store: SettingsStore;
  /** Entries older than this many days are removed. */
  retentionDays: number;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Prunes the history in the background, off every request's path: once soon after start,
 * then hourly. The timers never keep the process alive; a failed prune is logged and
 * tried again at the next turn.
 * @returns stops pruning, and waits for a prune in progress.
 */
export function startHistoryPruning(options: HistoryPruningOptions): () => Promise<void> {
  const now = options.now ?? Date.now;
  let running: Promise<void> = Promise.resolve();
  const prune = () => {
    running = options.store
      .pruneHistory(new Date(now() - options.retentionDays * DAY_MS))
      .then((removed) => {
        if (removed > 0) options.logger.info({ removed, retention_days: options.retentionDays }, 'llm settings history pruned');
      })
      .catch((error: unknown) => options.logger.warn({ err: error instanceof Error ? error.name : 'Error' }, 'llm settings history prune failed'));
  };
  const first = setTimeout(prune, 0);
  const every = setInterval(prune, PRUNE_INTERVAL_MS);
  first.unref();
  every.unref();
  return async () => {
    clearTimeout(first);
    clearInterval(every);
    await running;
  };
}
