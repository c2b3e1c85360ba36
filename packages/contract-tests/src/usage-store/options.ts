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
}
