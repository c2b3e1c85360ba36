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
  /**
   * Most bytes the kept lists may take, by {@link estimatedListBytes}; the least recently
   * loaded are dropped until a new list fits, and a list larger than this is not kept.
   * @default 16777216 (16 MiB: about 300 lists of 350 named models, or 13 of the lister's largest)
   */
  maxBytes?: number;
  /** @default Date.now */
  now?: () => number;
}

export const DEFAULT_MODEL_LIST_CACHE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * What V8 holds per listed model beside its strings' characters (the object, its shape
 * slot, two string headers, the array slot): bench/cache-heap.mjs measured 80-95 bytes.
 */
const BYTES_PER_MODEL = 96;
/** The entry, its array and the map's slot, beside the scope's and token's characters. */
const BYTES_PER_LIST = 256;

/**
 * The heap a kept list takes, estimated from its characters (one byte each, as V8 stores
 * Latin-1 strings; other text takes two, so at most twice this) plus fixed overheads.
 */
export function estimatedListBytes(scope: string, token: string, models: readonly ListedModel[]): number {
  let bytes = BYTES_PER_LIST + scope.length + token.length;
  for (const m of models) bytes += BYTES_PER_MODEL + m.id.length + (m.displayName?.length ?? 0);
  return bytes;
}

interface Entry {
  /** The stored token the list was made with the key of. */
  readonly token: string;
  readonly models: readonly ListedModel[];
  readonly expiresAt: number;
  readonly bytes: number;
}

/**
 * Live model lists by scope, each tied to the stored token whose key listed it:
 * a list is served only while that very token is stored, so a new key (even one stored
 * at the same version after a delete) is never answered with the old key's list, and
 * the key itself is never a cache key. The store's change feed drops a scope's list at
 * once; the TTL bounds how long the provider's own changes take to show. Bounded in
 * entries and in estimated bytes, since one list may hold thousands of models.
 */
export class ModelListCache {
  /** In the order loaded, which with one TTL is also the order they expire in. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;

  /** @param changes the stored settings' change feed, by scope */
  constructor(changes: { watch(listener: ScopeChangeListener): () => void }, options: ModelListCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? DEFAULT_MODEL_LIST_CACHE_MAX_BYTES;
    this.now = options.now ?? Date.now;
    this.unsubscribe = changes.watch((scope) => {
      if (scope === null) this.clear();
      else this.drop(scope);
    });
  }

  /** The list made with `token`'s key for `scope`, while it is fresh; null otherwise. */
  get(scope: string, token: string): readonly ListedModel[] | null {
    const entry = this.entries.get(scope);
    if (entry === undefined) return null;
    // An expired list is released when met, not kept until pushed out.
    if (entry.expiresAt <= this.now()) {
      this.drop(scope);
      return null;
    }
    return entry.token === token ? entry.models : null;
  }

  /** Keeps the list that `token`'s key got for `scope`, unless it alone exceeds the byte budget. */
  set(scope: string, token: string, models: readonly ListedModel[]): void {
    this.drop(scope);
    const bytes = estimatedListBytes(scope, token, models);
    if (bytes > this.maxBytes) return;
    const now = this.now();
    // Oldest first: the expired ones, then as many live ones as the new list needs room for.
    for (const [oldest, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < this.maxEntries && this.bytes + bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
    this.entries.set(scope, { token, models: Object.freeze([...models]), expiresAt: now + this.ttlMs, bytes });
    this.bytes += bytes;
  }

  /** Stops following the change feed and forgets every list. */
  close(): void {
    this.unsubscribe();
    this.clear();
  }

  private drop(scope: string): void {
    const entry = this.entries.get(scope);
    if (entry === undefined) return;
    this.entries.delete(scope);
    this.bytes -= entry.bytes;
  }

  private clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
