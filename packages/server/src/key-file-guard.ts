import { StorageUnavailableError, type SettingsStore } from '@llm-settings/core';
import { isKeyFileInPlace, type KeyFileIdentity } from './key-file.js';

/**
 * The store, with its writes refused while the key file the keys came from is gone from its
 * path, replaced or changed: a value written then would be encrypted under a key that the next start
 * does not find (and, outside production, it would generate a new one that opens nothing).
 * Reads go on: what is stored still opens with the keys in memory. One `lstat` and one read
 * of the file per write, next to a database write that costs far more.
 */
export function refuseWritesWithoutKeyFile(store: SettingsStore, keyFile: KeyFileIdentity): SettingsStore {
  const guarded =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (!(await isKeyFileInPlace(keyFile))) throw keyFileGone(keyFile.path);
      return write(...args);
    };
  return {
    get: (key) => store.get(key),
    set: guarded((key, value, options) => store.set(key, value, options)),
    setMany: guarded((writes) => store.setMany(writes)),
    delete: guarded((key, options) => store.delete(key, options)),
    readHistory: (query) => store.readHistory(query),
    // Removing old history encrypts nothing: it goes on.
    pruneHistory: (cutoff) => store.pruneHistory(cutoff),
    list: () => store.list(),
    watch: (listener) => store.watch(listener),
    close: () => store.close(),
  };
}

function keyFileGone(path: string): StorageUnavailableError {
  return new StorageUnavailableError(
    `The encryption key file ${path} was removed, replaced or changed while the server ran, so writes are refused: the next start would not find the key they are encrypted with. Put the key file back (from a backup), or set ENCRYPTION_KEY, and restart.`,
  );
}
