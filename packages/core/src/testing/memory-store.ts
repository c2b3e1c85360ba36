import { createChangeFeed } from '../change-feed.js';
import { ConflictError, StorageUnavailableError } from '../errors.js';
import { compareCodePoints } from '../key-order.js';
import type {
  DeleteOptions,
  HistoryEntry,
  HistoryRecord,
  SetOptions,
  SettingRecord,
  SettingWrite,
  SettingsStore,
} from '../ports/settings-store.port.js';

export interface MemorySettingsStoreOptions {
  /**
   * Source of `updatedAt`.
   * @default () => new Date()
   */
  now?: () => Date;
  /**
   * Called by every write just before it takes effect; when it returns a promise the
   * write waits for it. A seam for tests that hold a write at its commit (the contract
   * suite's `holdNextCommit`, with `createCommitGate().pass`).
   * @default none: writes take effect at once
   */
  beforeCommit?: () => Promise<void> | undefined;
}

/** The reference SettingsStore: a Map, for tests and for embedding without persistence. */
export function createMemorySettingsStore(options: MemorySettingsStoreOptions = {}): SettingsStore {
  const now = options.now ?? (() => new Date());
  const records = new Map<string, SettingRecord>();
  const history: HistoryRecord[] = [];
  let lastHistoryId = 0;
  const append = (entry: HistoryEntry | undefined) => {
    if (entry) history.push({ ...entry, fields: [...entry.fields], id: ++lastHistoryId, at: now() });
  };
  const feed = createChangeFeed();
  const ensureOpen = () => {
    if (feed.closed) throw new StorageUnavailableError('The settings store is closed.');
  };

  const notify = (key: string) => feed.emit({ key, origin: 'local' });
  const checkVersion = (key: string, expectedVersion: number | undefined) => {
    if (expectedVersion === undefined) return;
    if ((records.get(key)?.version ?? 0) !== expectedVersion) throw new ConflictError();
  };
  /** Waits at the commit while a test holds it. Versions are checked after it, so that writes stay atomic. */
  const committing = async () => {
    const held = options.beforeCommit?.();
    if (held) {
      await held;
      ensureOpen();
    }
  };
  const write = (key: string, value: string): SettingRecord => {
    const record = { key, value, version: (records.get(key)?.version ?? 0) + 1, updatedAt: now() };
    records.set(key, record);
    return record;
  };

  return {
    async get(key) {
      ensureOpen();
      return records.get(key) ?? null;
    },
    async set(key, value, setOptions: SetOptions = {}) {
      ensureOpen();
      await committing();
      checkVersion(key, setOptions.expectedVersion);
      const record = write(key, value);
      append(setOptions.history);
      notify(key);
      return record;
    },
    async setMany(writes: readonly SettingWrite[]) {
      ensureOpen();
      await committing();
      for (const w of writes) checkVersion(w.key, w.expectedVersion);
      const written = writes.map((w) => write(w.key, w.value));
      for (const w of writes) append(w.history);
      for (const w of writes) notify(w.key);
      return written;
    },
    async delete(key, deleteOptions: DeleteOptions = {}) {
      ensureOpen();
      await committing();
      const existed = records.has(key);
      if (existed) checkVersion(key, deleteOptions.expectedVersion);
      records.delete(key);
      if (existed) append(deleteOptions.history);
      notify(key);
      return existed;
    },
    async readHistory({ scope, limit, before }) {
      ensureOpen();
      const page: HistoryRecord[] = [];
      for (let i = history.length - 1; i >= 0 && page.length < limit; i--) {
        const entry = history[i]!;
        if (entry.scope === scope && (before == null || entry.id < before)) page.push(entry);
      }
      return page;
    },
    async pruneHistory(cutoff) {
      ensureOpen();
      const kept = history.filter((entry) => entry.at >= cutoff);
      const removed = history.length - kept.length;
      history.splice(0, history.length, ...kept);
      return removed;
    },
    async *list() {
      ensureOpen();
      const keys = [...records.keys()].sort(compareCodePoints);
      for (const key of keys) {
        const record = records.get(key);
        if (record) yield record;
      }
    },
    watch: feed.watch,
    close: feed.close,
  };
}
