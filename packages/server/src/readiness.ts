import {
  ConflictError,
  CorruptedSettingsError,
  DecryptionError,
  type LlmSettingsService,
  type SettingsStore,
} from '@llm-settings/core';
import type { ReadinessCheck, ReadinessReport } from '@llm-settings/http-koa';
import { isKeyFileInPlace, type KeyFileIdentity } from './key-file.js';

/** Lists the storage migrations not yet run: none once the schema is complete. */
export type PendingMigrations = () => Promise<readonly string[]>;

/** What the readiness check looks at. */
export interface ReadinessDependencies {
  store: SettingsStore;
  /** Reads the default scope's settings, decrypting them as a client's GET would. */
  service: Pick<LlmSettingsService, 'get'>;
  /**
   * The key file the keys were read from, if any: it must stay at its path.
   * @default null (keys from ENCRYPTION_KEY)
   */
  keyFile?: KeyFileIdentity | null;
  /**
   * The storage migrations still to run, when the start did not run them (`migrate: false`):
   * a separate migration job may finish after the start.
   * @default null (the start migrated: no `storage_schema` check)
   */
  pendingMigrations?: PendingMigrations | null;
}

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
 * The key the probes read and write, which holds no settings: the read is the same query
 * as any settings read. The write probe's version: no write ever gives a version below 1,
 * so the compare-and-set cannot match and writes nothing, yet the backend must accept a
 * write statement to answer it (see {@link checkWritable}).
 */
const PROBE_KEY = 'llm-settings-readiness-probe';
const IMPOSSIBLE_VERSION = -1;

/**
 * A readiness check that runs at most once per `reuseMs`: concurrent callers share the
 * check in flight, and its result is reused until `reuseMs` after it finished.
 * /readyz needs no token, so a check per request would let anyone slow the store down.
 * Ready when every check is `ok`:
 * - `storage`: the store answers a read;
 * - `encryption_keys`: the default scope's stored settings, if any, decrypt with the
 *   configured keys (nothing stored is ok), and the key file they came from, if any, is
 *   still at its path with the same keys (removed, replaced or changed, the next start would not find them);
 * - `storage_writable`: the store accepts a write (a compare-and-set that cannot match);
 * - `storage_schema`, when `pendingMigrations` is given: no storage migration is pending.
 *   Asked on each check until none is, then no more (see {@link schemaUpToDate}).
 */
export function createReadinessCheck(dependencies: ReadinessDependencies, options: ReadinessCheckOptions = {}): ReadinessCheck {
  const reuseMs = options.reuseMs ?? DEFAULT_REUSE_MS;
  const now = options.now ?? (() => performance.now());
  const schemaCheck = dependencies.pendingMigrations ? schemaUpToDate(dependencies.pendingMigrations) : null;
  let latest: Promise<ReadinessReport> | undefined;
  let reusableUntil = 0;
  return () => {
    if (latest !== undefined && now() < reusableUntil) return latest;
    reusableUntil = Infinity; // shared while in flight
    latest = runChecks(dependencies, schemaCheck).then((report) => {
      reusableUntil = now() + reuseMs;
      return report;
    });
    return latest;
  };
}

async function runChecks({ store, service, keyFile }: ReadinessDependencies, schemaCheck: (() => Promise<boolean>) | null): Promise<ReadinessReport> {
  const [storage, encryption_keys, storage_writable, storage_schema] = await Promise.all([
    outcome(withTimeout(store.get(PROBE_KEY), STORAGE_CHECK_TIMEOUT_MS).then(() => true)),
    outcome(Promise.all([checkDecryptable(service), keyFile ? isKeyFileInPlace(keyFile) : true]).then((passed) => passed.every(Boolean))),
    outcome(checkWritable(store)),
    schemaCheck ? outcome(schemaCheck()) : null,
  ]);
  const checks = { storage, encryption_keys, storage_writable, ...(storage_schema ? { storage_schema } : {}) };
  return { ready: Object.values(checks).every((result) => result === 'ok'), checks };
}

/**
 * True once no migration is pending, and from then on without asking again: a migration
 * job that finishes after the start turns the server ready, and nothing undoes migrations
 * under a running server. A failed look counts as pending: the schema is not known complete.
 */
function schemaUpToDate(pendingMigrations: PendingMigrations): () => Promise<boolean> {
  let upToDate = false;
  return async () => {
    upToDate ||= (await withTimeout(pendingMigrations(), STORAGE_CHECK_TIMEOUT_MS)).length === 0;
    return upToDate;
  };
}

/**
 * Fails only on settings the keys cannot open: any other failure of the read is the
 * `storage` check's to report, and must not blame the keys.
 */
async function checkDecryptable(service: ReadinessDependencies['service']): Promise<boolean> {
  try {
    await withTimeout(service.get(), STORAGE_CHECK_TIMEOUT_MS);
    return true;
  } catch (error) {
    return !(error instanceof DecryptionError || error instanceof CorruptedSettingsError);
  }
}

/**
 * A compare-and-set at an impossible version: a writable store answers ConflictError
 * without writing or notifying anyone, while a read-only SQLite file (SQLITE_READONLY) or
 * PostgreSQL replica (read_only_sql_transaction) refuses the statement itself, which the
 * store reports as StorageUnavailableError.
 */
async function checkWritable(store: SettingsStore): Promise<boolean> {
  try {
    await withTimeout(store.set(PROBE_KEY, '', { expectedVersion: IMPOSSIBLE_VERSION }), STORAGE_CHECK_TIMEOUT_MS);
    return false; // it wrote: a store that ignores expectedVersion cannot be trusted with writes
  } catch (error) {
    return error instanceof ConflictError;
  }
}

async function outcome(check: Promise<boolean>): Promise<'ok' | 'fail'> {
  return (await check.catch(() => false)) ? 'ok' : 'fail';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
