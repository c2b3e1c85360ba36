import { randomUUID } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import {
  compareCodePoints,
  ConflictError,
  createChangeFeed,
  StorageUnavailableError,
  ValidationError,
  type HistoryEntry,
  type HistoryRecord,
  type SettingRecord,
  type SettingWrite,
  type SettingsStore,
} from '@llm-settings/core';

/*
 * A SettingsStore in one JSON file, written whole on each write: to a temporary file,
 * flushed to disk, then renamed over the old one, so readers see the old file or the new
 * one, never half of one. Writers, in this process or others, take turns through a lock
 * file. The file numbers its writes and names the keys of the last one, so that other
 * instances, which poll it, can tell which keys changed, or that they missed some.
 */

export interface JsonFileStoreOptions {
  /** The JSON file; created on the first write. Its folder must exist. */
  path: string;
  /**
   * How often, in milliseconds, the store checks the file for other instances' writes,
   * from the first `watch` call until `close()`.
   * @default 100
   */
  pollIntervalMs?: number;
  /**
   * How long a write waits for another writer's lock before failing with
   * StorageUnavailableError, in milliseconds.
   * @default 2000
   */
  lockTimeoutMs?: number;
  /**
   * Called by each write once its new file is on disk, just before it replaces the old
   * one; when it returns a promise, the write waits for it there. A seam for tests that
   * hold a write at its commit (the contract suite's `holdNextCommit`).
   * @default none: the file is replaced at once
   */
  beforeReplace?: () => Promise<void> | undefined;
}

/** A SettingsStore with a helper for tests: the kind of extra method the contract's `reset` can call. */
export interface JsonFileStore extends SettingsStore {
  /** Empties the file. Listeners hear nothing: it is for tests, between them. */
  clearForTests(): Promise<void>;
}

interface StoredRecord {
  readonly value: string;
  readonly version: number;
  readonly updatedAt: string;
}

/** A history entry in the file: `at` as ISO text. */
interface StoredHistoryEntry extends HistoryEntry {
  readonly id: number;
  readonly at: string;
}

interface StoreFile {
  /** Counts the writes to the file. */
  readonly seq: number;
  /** The instance that made the last write, and the keys it wrote. */
  readonly writer: string | null;
  readonly keys: readonly string[];
  readonly records: Readonly<Record<string, StoredRecord>>;
  /** Oldest first; absent in files written before the store kept a history. */
  readonly history?: readonly StoredHistoryEntry[];
  /** The id of the last entry appended, pruned or not. */
  readonly lastHistoryId?: number;
}

/** What one write makes of the file: records, the keys it changed, entries it appends, and its result. */
interface FileChange<T> {
  records: Record<string, StoredRecord>;
  keys: readonly string[];
  result: T;
  /** Appended to the history with the records, in the same file. */
  appended?: readonly (HistoryEntry | undefined)[];
  /** The history that replaces the file's (a prune). */
  history?: readonly StoredHistoryEntry[];
}

const EMPTY: StoreFile = { seq: 0, writer: null, keys: [], records: {} };
const MAX_KEY_LENGTH = 255;
const LOCK_RETRY_MS = 5;

export function createJsonFileStore(options: JsonFileStoreOptions): JsonFileStore {
  const { path } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const lockTimeoutMs = options.lockTimeoutMs ?? 2000;
  const instanceId = randomUUID();
  let polling = false;
  /** The last write to the file this instance knows of, its own or reported to its listeners. */
  let seenSeq: number | null = null;
  /** Operations of this instance, one at a time, so that `seenSeq` moves in order. */
  let queue: Promise<unknown> = Promise.resolve();

  const serially = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = queue.then(operation);
    queue = result.catch(() => undefined);
    return result;
  };

  /** Reports to listeners the writes of other instances since the last one this instance knew of. */
  const reportOthers = (file: StoreFile) => {
    if (seenSeq !== null && file.seq !== seenSeq) {
      // One write of another instance names its keys; after more, some went unseen.
      if (file.seq === seenSeq + 1 && file.writer !== instanceId) for (const key of file.keys) emit({ key, origin: 'remote' });
      else emit({ key: null, origin: 'remote' });
    }
    seenSeq = file.seq;
  };

  const ensureOpen = () => {
    if (feed.closed) throw new StorageUnavailableError('The settings store is closed.');
  };

  /** Runs `change` on the file under the lock, writes the result, then tells local listeners of `keys`. */
  const write = <T>(change: (file: StoreFile) => FileChange<T>) =>
    serially(async () => {
      ensureOpen();
      const { result, keys } = await withLock(path, lockTimeoutMs, async () => {
        const file = await readStoreFile(path);
        if (polling) reportOthers(file);
        const next = change(file);
        const { history, lastHistoryId } = historyAfter(file, next);
        const written: StoreFile = { seq: file.seq + 1, writer: instanceId, keys: next.keys, records: next.records, history, lastHistoryId };
        const changed = next.keys.length > 0 || next.history !== undefined;
        if (changed) await replaceFile(path, JSON.stringify(written), options.beforeReplace);
        seenSeq = changed ? written.seq : file.seq;
        return next;
      });
      for (const key of keys) emit({ key, origin: 'local' });
      return result;
    });

  const poll = () => {
    void serially(async () => {
      if (!feed.closed) reportOthers(await readStoreFile(path));
    }).catch(() => emit({ key: null, origin: 'remote' }));
  };

  // core's change feed keeps the listeners; the store polls the file from the first `watch`.
  const feed = createChangeFeed({
    startRemote: () => {
      polling = true;
      watchFile(path, { interval: pollIntervalMs, persistent: false }, poll);
      poll();
      return () => unwatchFile(path, poll);
    },
  });
  const { emit } = feed;

  return {
    async get(key) {
      ensureOpen();
      const stored = (await readStoreFile(path)).records[key];
      return stored === undefined ? null : toRecord(key, stored);
    },

    async set(key, value, setOptions = {}) {
      checkKey(key);
      return write((file) => {
        checkVersion(file, key, setOptions.expectedVersion);
        const stored = nextRecord(file, key, value);
        return { records: { ...file.records, [key]: stored }, keys: [key], result: toRecord(key, stored), appended: [setOptions.history] };
      });
    },

    async setMany(writes: readonly SettingWrite[]) {
      for (const { key } of writes) checkKey(key);
      return write((file) => {
        for (const { key, expectedVersion } of writes) checkVersion(file, key, expectedVersion);
        const records = { ...file.records };
        const result = writes.map(({ key, value }) => {
          const stored = nextRecord({ ...file, records }, key, value);
          records[key] = stored;
          return toRecord(key, stored);
        });
        return { records, keys: writes.map((w) => w.key), result, appended: writes.map((w) => w.history) };
      });
    },

    async delete(key, deleteOptions = {}) {
      checkKey(key);
      let existed = false;
      await write((file) => {
        existed = Object.hasOwn(file.records, key);
        if (existed) checkVersion(file, key, deleteOptions.expectedVersion);
        const { [key]: _removed, ...records } = file.records;
        return { records, keys: existed ? [key] : [], result: undefined, appended: existed ? [deleteOptions.history] : [] };
      });
      // Found nothing: still reported, as the port asks (a concurrent delete's event may be on its way).
      if (!existed) emit({ key, origin: 'local' });
      return existed;
    },

    async readHistory({ scope, limit, before }) {
      ensureOpen();
      const page: HistoryRecord[] = [];
      const history = (await readStoreFile(path)).history ?? [];
      for (let i = history.length - 1; i >= 0 && page.length < limit; i--) {
        const entry = history[i]!;
        if (entry.scope === scope && (before == null || entry.id < before)) page.push({ ...entry, at: new Date(entry.at) });
      }
      return page;
    },

    async pruneHistory(cutoff) {
      return write((file) => {
        const history = file.history ?? [];
        const kept = history.filter((entry) => Date.parse(entry.at) >= cutoff.getTime());
        return { records: { ...file.records }, keys: [], result: history.length - kept.length, history: kept };
      });
    },

    async *list() {
      ensureOpen();
      const { records } = await readStoreFile(path);
      for (const key of Object.keys(records).sort(compareCodePoints)) yield toRecord(key, records[key]!);
    },

    watch: feed.watch,

    async close() {
      await feed.close();
      await queue;
    },

    clearForTests() {
      return serially(() =>
        withLock(path, lockTimeoutMs, async () => {
          const file = await readStoreFile(path);
          await replaceFile(path, JSON.stringify({ ...EMPTY, seq: file.seq + 1, writer: instanceId }));
          seenSeq = file.seq + 1;
        }),
      );
    },
  };
}

/** The file's history after `change`: its own when it replaces it, else the old one with its appended entries. */
function historyAfter(file: StoreFile, change: FileChange<unknown>): { history: StoredHistoryEntry[]; lastHistoryId: number } {
  let lastHistoryId = file.lastHistoryId ?? 0;
  const history = [...(change.history ?? file.history ?? [])];
  const at = new Date().toISOString();
  for (const entry of change.appended ?? []) if (entry) history.push({ ...entry, fields: [...entry.fields], id: ++lastHistoryId, at });
  return { history, lastHistoryId };
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || [...key].length > MAX_KEY_LENGTH) {
    throw new ValidationError(`A key must be 1 to ${MAX_KEY_LENGTH} characters.`, [{ path: 'key', message: 'length' }]);
  }
}

function checkVersion(file: StoreFile, key: string, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && (file.records[key]?.version ?? 0) !== expectedVersion) throw new ConflictError();
}

/** The key's next record; `updatedAt` moves forward even when the clock does not. */
function nextRecord(file: StoreFile, key: string, value: string): StoredRecord {
  const previous = file.records[key];
  const previousTime = previous === undefined ? 0 : Date.parse(previous.updatedAt);
  const updatedAt = new Date(Math.max(Date.now(), previousTime + 1)).toISOString();
  return { value, version: (previous?.version ?? 0) + 1, updatedAt };
}

function toRecord(key: string, stored: StoredRecord): SettingRecord {
  return { key, value: stored.value, version: stored.version, updatedAt: new Date(stored.updatedAt) };
}

/** The file's content; a file not yet written is an empty store. */
async function readStoreFile(path: string): Promise<StoreFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StoreFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
    throw unavailable(error);
  }
}

/** Writes `text` to a temporary file, flushes it to disk, then renames it over `path`. */
async function replaceFile(path: string, text: string, beforeRename?: () => Promise<void> | undefined): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    const held = beforeRename?.();
    if (held) await held;
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw unavailable(error);
  }
}

/** Runs `work` while holding `${path}.lock`, created exclusively: one writer at a time, across processes. */
async function withLock<T>(path: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw unavailable(error);
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/** The file system's error travels as the cause only: its message names the path. */
function unavailable(error: unknown): Error {
  return error instanceof ConflictError || error instanceof StorageUnavailableError ? error : new StorageUnavailableError(undefined, { cause: error });
}
