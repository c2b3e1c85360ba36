import type { SettingChange, SettingChangeListener } from './ports/settings-store.port.js';

/** Stops hearing other processes' writes; what `ChangeFeedOptions.startRemote` returns. */
export type StopRemoteFeed = () => Promise<void> | void;

export interface ChangeFeedOptions {
  /**
   * Starts hearing other processes' writes (a LISTEN connection, a poll), passing them to
   * `emit`; called once, at the first `watch` before `close()`. Returns how to stop, which
   * `close()` awaits.
   * @default none: the store reports its own writes only
   */
  startRemote?: () => StopRemoteFeed | undefined;
}

/**
 * The listener side of a SettingsStore: what `watch`, its unsubscribe and `close()`
 * do, so that each store only says which keys its writes (and other processes') changed.
 */
export interface ChangeFeed {
  /**
   * Tells every listener of `change`, in the order they subscribed. A listener that
   * throws neither reaches the caller (the write stays done) nor keeps the others from hearing.
   */
  emit(change: SettingChange): void;
  /** The store's `watch`: subscribes `listener`, starts the remote feed at the first call, returns the unsubscribe. */
  watch(listener: SettingChangeListener): () => void;
  /** True once `close()` was called: stores refuse operations then. */
  readonly closed: boolean;
  /** Drops every listener, then stops the remote feed if it started. Later `watch` calls subscribe nothing. */
  close(): Promise<void>;
}

/**
 * One change feed for a SettingsStore, for adapter authors: the memory store, the knex
 * store and the JSON-file example all report their writes through it.
 */
export function createChangeFeed(options: ChangeFeedOptions = {}): ChangeFeed {
  const listeners = new Set<SettingChangeListener>();
  let closed = false;
  let remoteStarted = false;
  let stopRemote: StopRemoteFeed | undefined;

  return {
    emit(change) {
      // A copy: a listener may unsubscribe (itself or another) while hearing.
      for (const listener of [...listeners]) {
        try {
          listener(change);
        } catch {
          // A failing listener must not undo the write or starve the other listeners.
        }
      }
    },

    watch(listener) {
      if (closed) return () => undefined;
      listeners.add(listener);
      if (!remoteStarted) {
        remoteStarted = true;
        stopRemote = options.startRemote?.();
      }
      return () => {
        listeners.delete(listener);
      };
    },

    get closed() {
      return closed;
    },

    async close() {
      closed = true;
      listeners.clear();
      const stop = stopRemote;
      stopRemote = undefined;
      await stop?.();
    },
  };
}
