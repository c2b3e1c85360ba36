import { setNewest } from '../bounded-map.js';
import type { SettingsStore } from '../ports/settings-store.port.js';
import type { CurrentSettings } from './settings-repository.js';

export interface SettingsViewCacheOptions {
  /**
   * Most views kept; the least recently loaded is dropped first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Longest a view is served without reading the store again. The change feed
   * invalidates views at once; this bounds staleness when a feed cannot see a writer
   * (a store whose feed reports only its own writes, or a second store instance in the
   * same process).
   * @default 5000
   */
  ttlMs?: number;
  /** @default Date.now */
  now?: () => number;
  /**
   * Told of every read: `hit` when served from the cache (a load in progress shared
   * counts as a hit), for metrics. Must be cheap and must not throw.
   * @default undefined (not told)
   */
  onRead?: (hit: boolean) => void;
}

interface Entry {
  /** The settings, as a promise made once: a hit adds no promise and no await of its own. */
  current: Promise<CurrentSettings>;
  expiresAt: number;
}

/**
 * Sealed settings (encrypted tokens) and their snapshots (masked views, never a key) by
 * store key, dropped by the store's change feed, its one source of invalidation. A load
 * that overlaps any change is served but not kept, so a read that raced a write can
 * never be cached after that write's event.
 */
export class SettingsViewCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CurrentSettings>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly onRead: ((hit: boolean) => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Incremented by every change; a load keeps its result only if it did not move. */
  private generation = 0;
  /** This process's writes in flight, each with the changes of its key heard since it began. */
  private readonly writes = new Set<{ readonly key: string; changes: number }>();

  constructor(store: SettingsStore, options: SettingsViewCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.ttlMs = options.ttlMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.onRead = options.onRead;
    this.unsubscribe = store.watch((change) => this.drop(change.key));
  }

  /** Drops the view of `key` (every view for null) and any load in progress. */
  private drop(key: string | null): void {
    this.generation++;
    for (const write of this.writes) if (key === null || write.key === key) write.changes++;
    if (key === null) this.entries.clear();
    else this.entries.delete(key);
    this.loading.clear();
  }

  /** The cached sealed settings and snapshot of `key`, or the result of `load` (shared by concurrent callers). */
  read(key: string, load: () => Promise<CurrentSettings>): Promise<CurrentSettings> {
    const entry = this.entries.get(key);
    const served = entry && entry.expiresAt > this.now() ? entry.current : this.loading.get(key);
    this.onRead?.(served !== undefined);
    if (served !== undefined) return served;

    const generation = this.generation;
    const loaded = load().then((current) => (this.generation === generation ? this.keep(key, current) : current)).finally(() => {
      if (this.loading.get(key) === loaded) this.loading.delete(key);
    });
    this.loading.set(key, loaded);
    return loaded;
  }

  /**
   * Runs `write`, a write of this process to `key`, and keeps what it wrote as the view, so
   * that the next read (the page's GET, or the next write's history diff) need not load it.
   * It is kept only when the one change of `key` heard meanwhile was the write's own event
   * (which the store sends before the write resolves): after any other change, a concurrent
   * write here or elsewhere, what was written may not be the latest, and is loaded again.
   */
  async written(key: string, write: () => Promise<CurrentSettings>): Promise<CurrentSettings> {
    const tracked = { key, changes: 0 };
    this.writes.add(tracked);
    try {
      const current = await write();
      return tracked.changes === 1 ? this.keep(key, current) : current;
    } finally {
      this.writes.delete(tracked);
    }
  }

  /** Stops following the change feed and forgets every view. */
  close(): void {
    this.unsubscribe();
    this.entries.clear();
    this.loading.clear();
  }

  private keep(key: string, { sealed, snapshot }: CurrentSettings): CurrentSettings {
    // Frozen: every reader gets the same object, with its JSON made once.
    const view = Object.freeze({ ...snapshot.view });
    const frozen = { sealed, snapshot: Object.freeze({ ...snapshot, view, viewJson: JSON.stringify(view) }) };
    setNewest(this.entries, key, { current: Promise.resolve(frozen), expiresAt: this.now() + this.ttlMs }, this.maxEntries);
    return frozen;
  }
}
