import type { UsageStore } from '@llm-settings/core';

export interface UsageStoreContractOptions<S extends UsageStore = UsageStore> {
  /** Names the suite, e.g. 'SQLite file'. */
  name: string;
  /** Creates the store under test, on an empty backend; called before each test. */
  create: () => Promise<S> | S;
  /**
   * Called after each test.
   * @default nothing
   */
  teardown?: (store: S) => Promise<void> | void;
  /**
   * Opens another instance on the backend of the store `create` made last, as another
   * process would (its own connections); released with `teardown`. Without it, the check
   * that two instances adding to one row at once lose nothing is skipped.
   */
  openSecondInstance?: () => Promise<S> | S;
  /**
   * Creates a store whose backend is unreachable or refuses writes (a stopped server, a
   * read-only file), and lists the text its errors must never show: host names, user
   * names, passwords, file paths. Release what it holds after the suite. Without it, the
   * checks that such a backend surfaces as StorageUnavailableError, and that an `add` that
   * throws adds nothing, are skipped. The latter reads the backend of the store `create`
   * made last: it tells most when the unavailable store is a view of that backend that
   * refuses writes.
   */
  createUnavailable?: () => Promise<UnavailableUsageStore> | UnavailableUsageStore;
}

/** What {@link UsageStoreContractOptions.createUnavailable} returns. */
export interface UnavailableUsageStore {
  readonly store: UsageStore;
  /** Text (host, user, password, path) that no error message of the store may contain. */
  readonly neverMention: readonly string[];
}
