import { setNewest } from '../bounded-map.js';
import type { ListedModel } from '../ports/model-lister.port.js';
import type { ScopeChangeListener } from './settings-repository.js';

export interface ModelListCacheOptions {
  /**
   * Longest a live list is served without asking the provider again.
   * @default 300000 (5 minutes)
   */
  ttlMs?: number;
  /**
   * Most lists kept; the least recently loaded is dropped first.
   * @default 10000
   */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Entry {
  /** The stored token the list was made with the key of. */
  readonly token: string;
  readonly models: readonly ListedModel[];
  readonly expiresAt: number;
}

/**
 * Live model lists by scope, each tied to the stored token whose key listed it:
 * a list is served only while that very token is stored, so a new key (even one stored
 * at the same version after a delete) is never answered with the old key's list, and
 * the key itself is never a cache key. The store's change feed drops a scope's list at
 * once; the TTL bounds how long the provider's own changes take to show.
 */
export class ModelListCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;

  /** @param changes the stored settings' change feed, by scope */
  constructor(changes: { watch(listener: ScopeChangeListener): () => void }, options: ModelListCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.unsubscribe = changes.watch((scope) => {
      if (scope === null) this.entries.clear();
      else this.entries.delete(scope);
    });
  }

  /** The list made with `token`'s key for `scope`, while it is fresh; null otherwise. */
  get(scope: string, token: string): readonly ListedModel[] | null {
    const entry = this.entries.get(scope);
    return entry !== undefined && entry.token === token && entry.expiresAt > this.now() ? entry.models : null;
  }

  /** Keeps the list that `token`'s key got for `scope`. */
  set(scope: string, token: string, models: readonly ListedModel[]): void {
    setNewest(this.entries, scope, { token, models: Object.freeze([...models]), expiresAt: this.now() + this.ttlMs }, this.maxEntries);
  }

  /** Stops following the change feed and forgets every list. */
  close(): void {
    this.unsubscribe();
    this.entries.clear();
  }
}
