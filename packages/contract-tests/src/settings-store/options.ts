import type { SettingsStore } from '@llm-settings/core';

export interface SettingsStoreContractOptions<S extends SettingsStore = SettingsStore> {
  /** Names the suite, e.g. 'SQLite file'. */
  name: string;
  /** Creates the store under test; called before each test. */
  create: () => Promise<S> | S;
  /** Empties the backend (values and history), called after `create` before each test; needed when stores share storage. */
  reset?: (store: S) => Promise<void> | void;
  /**
   * Called after each test, also after a test that closed the store itself.
   * @default (store) => store.close()
   */
  teardown?: (store: S) => Promise<void> | void;
  /** Reads a key's value straight from the backend, bypassing the store; null when absent. */
  rawValue?: (key: string) => Promise<string | null>;
  /**
   * Opens another instance on the backend of the stores `create` makes, as another process
   * would (its own connections). The suite closes it with `close()`; release anything else
   * it holds after the suite. Without it, the checks that writes by another instance reach
   * this one's change feed, and that `close()` ends that delivery, are skipped.
   */
  openSecondInstance?: () => Promise<SettingsStore> | SettingsStore;
  /**
   * Creates a store whose backend is unreachable or refuses writes (a stopped server, a
   * read-only file), and lists the text its errors must never show: host names, user
   * names, passwords, file paths. The suite closes the store. Without it, the check that
   * such a backend surfaces as StorageUnavailableError is skipped.
   */
  createUnavailable?: () => Promise<UnavailableStore> | UnavailableStore;
  /**
   * Makes the next write of `store` wait where it becomes durable, until `release()`:
   * before its COMMIT, or before the lone statement that is its own transaction is sent,
   * or before a new file replaces the old one. {@link createCommitGate} builds the hold;
   * the store, or a wrapper of its driver, calls the gate's `pass()` there. With it, each
   * write path is checked to tell no listener while its commit waits. Without it those
   * checks are skipped, and listeners are checked only by what they read, which a
   * commit quicker than the read hides.
   */
  holdNextCommit?: (store: S) => Promise<CommitHold> | CommitHold;
}

/** What {@link SettingsStoreContractOptions.holdNextCommit} returns. */
export interface CommitHold {
  /** Resolves once the write waits at its commit: nothing of it is durable yet. */
  readonly reached: Promise<void>;
  /** Lets the commit go on. */
  release(): void;
}

/** A gate for a store's commits: see {@link createCommitGate}. */
export interface CommitGate {
  /**
   * Call where a write becomes durable, and await what it returns when it returns a
   * promise: the write is held then. Returns undefined when no hold is armed, so that
   * an unheld write goes on without waiting even a tick.
   */
  pass(): Promise<void> | undefined;
  /** Arms a hold of the next `pass()`: the value for `holdNextCommit` to return. */
  holdNext(): CommitHold;
}

/** A gate through which a store's commits pass, to build the `holdNextCommit` hook with. */
export function createCommitGate(): CommitGate {
  let armed: { reached: () => void; released: Promise<void> } | undefined;
  return {
    pass() {
      const hold = armed;
      armed = undefined;
      hold?.reached();
      return hold?.released;
    },
    holdNext() {
      let reached!: () => void;
      let release!: () => void;
      const hold = {
        reached: new Promise<void>((resolve) => (reached = resolve)),
        released: new Promise<void>((resolve) => (release = resolve)),
      };
      armed = { reached, released: hold.released };
      return { reached: hold.reached, release };
    },
  };
}

/** What {@link SettingsStoreContractOptions.createUnavailable} returns. */
export interface UnavailableStore {
  readonly store: SettingsStore;
  /** Text (host, user, password, path) that no error message of the store may contain. */
  readonly neverMention: readonly string[];
}
