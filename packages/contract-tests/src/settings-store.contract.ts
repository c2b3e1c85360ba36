import { ErrorCodes, type SettingChange, type SettingRecord, type SettingWrite, type SettingsStore } from '@llm-settings/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

export interface SettingsStoreContractOptions<S extends SettingsStore = SettingsStore> {
  /** Names the suite, e.g. 'SQLite file'. */
  name: string;
  /** Creates the store under test; called before each test. */
  create: () => Promise<S> | S;
  /** Empties the backend, called after `create` before each test; needed when stores share storage. */
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

/** 64 KiB of varied base64url text: the largest value the port promises to keep. */
function largeValue(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let text = '';
  for (let i = 0; text.length < 64 * 1024; i += 1) text += alphabet[(i * 37 + (i >> 6)) % alphabet.length];
  return text;
}

/** Values a store could alter by trimming, normalizing, parsing or re-encoding them. */
const EXACT_VALUES: ReadonlyArray<readonly [string, string]> = [
  ['unicode text', 'Grüße, 你好, مرحبا, 🔑🚀, e\u0301 vs \u00e9, zero\u200bwidth'],
  ['a 64 KiB value', largeValue()],
  ['leading and trailing spaces', '  padded value \t '],
  ['JSON-looking text', '{"provider":"openai","price":1.50,"ok":true}'],
  ['number-looking text', '007'],
  ['newlines, quotes and backslashes', 'line 1\nline 2\r\n"double" \'single\' `back` \\ end'],
  ['SQL-looking text', "'); DROP TABLE settings; --"],
  ['an empty string', ''],
];

/** The longest keys the port allows (255 characters), in one-, two- and three-byte UTF-8. */
const LONGEST_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['ASCII', 'k'.repeat(254) + 'z'],
  ['two-byte UTF-8 (é)', 'é'.repeat(255)],
  ['three-byte UTF-8 (中)', '中'.repeat(255)],
];

/**
 * Keys whose code point order differs from JavaScript's default sort (UTF-16 code units):
 * U+FF5E and U+FFFD sort before the emoji by code point, after it by code unit.
 */
const NON_ASCII_KEYS = ['～', '😀', 'é', 'z', 'Z', '中', '\uFFFD', '𝒜', 'ä', 'a', 'ÿ', 'Ā', 'e\u0301', '~'];

/**
 * Orders strings by Unicode code point, the order `list` promises. Written here rather than
 * taken from core's `compareCodePoints`, so that the suite's expectation stays independent of
 * the code the reference adapters sort with.
 */
function byCodePoint(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return left.length - right.length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a change made by another instance may take to arrive (stores may poll). */
const REMOTE_DELIVERY_TIMEOUT_MS = 10_000;
/** Room for the waits of a test with another instance, whatever the runner's testTimeout. */
const REMOTE_TEST_TIMEOUT_MS = 3 * REMOTE_DELIVERY_TIMEOUT_MS;
/** How long a held write may take to reach its commit. */
const COMMIT_REACHED_TIMEOUT_MS = 5_000;
/** Writes of each instance in the checks of two instances side by side (64 KiB values in the one of torn reads). */
const SIDE_BY_SIDE_WRITES = 20;
/** Room for a long run of 64 KiB writes by two instances (a file store rewrites the whole file each time). */
const SIDE_BY_SIDE_TEST_TIMEOUT_MS = 60_000;
/** Room for six calls on an unreachable backend, each waiting for its connection timeout. */
const UNAVAILABLE_TEST_TIMEOUT_MS = 60_000;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Checks by name and code rather than instanceof, so a store built against another copy of core passes. */
async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error, 'expected a ConflictError').toBeInstanceOf(Error);
  expect(error).toMatchObject({ name: 'ConflictError', code: ErrorCodes.SETTINGS_CONFLICT });
}

async function listAll(store: SettingsStore): Promise<SettingRecord[]> {
  const records: SettingRecord[] = [];
  for await (const record of store.list()) records.push(record);
  return records;
}

/** One way to write, with what the store holds afterwards. */
interface WritePath {
  /** Completes "emits one change event per key after …". */
  readonly name: string;
  /** Port method named in the test title. */
  readonly method: 'set' | 'setMany' | 'delete';
  readonly prepare: (store: SettingsStore) => Promise<unknown>;
  readonly write: (store: SettingsStore) => Promise<unknown>;
  /** The keys written, each reported once. */
  readonly keys: readonly string[];
  /** The value each key holds once the write is durable (null: removed). */
  readonly after: Readonly<Record<string, string | null>>;
}

const WRITE_PATHS: readonly WritePath[] = [
  {
    name: 'a plain write',
    method: 'set',
    prepare: (store) => store.set('k', 'before'),
    write: (store) => store.set('k', 'after'),
    keys: ['k'],
    after: { k: 'after' },
  },
  {
    name: 'a compare-and-set write',
    method: 'set',
    prepare: (store) => store.set('k', 'before'),
    write: (store) => store.set('k', 'after', { expectedVersion: 1 }),
    keys: ['k'],
    after: { k: 'after' },
  },
  {
    name: 'a compare-and-set create (expectedVersion 0)',
    method: 'set',
    prepare: async () => undefined,
    write: (store) => store.set('k', 'after', { expectedVersion: 0 }),
    keys: ['k'],
    after: { k: 'after' },
  },
  {
    name: 'a plain delete',
    method: 'delete',
    prepare: (store) => store.set('k', 'before'),
    write: (store) => store.delete('k'),
    keys: ['k'],
    after: { k: null },
  },
  {
    name: 'a compare-and-set delete',
    method: 'delete',
    prepare: (store) => store.set('k', 'before'),
    write: (store) => store.delete('k', { expectedVersion: 1 }),
    keys: ['k'],
    after: { k: null },
  },
  {
    name: 'a write of several keys, plain and compare-and-set',
    method: 'setMany',
    prepare: (store) => store.set('k', 'before'),
    write: (store) =>
      store.setMany([
        { key: 'k', value: 'after', expectedVersion: 1 },
        { key: 'n', value: 'new' },
      ]),
    keys: ['k', 'n'],
    after: { k: 'after', n: 'new' },
  },
];

/** What a listener saw when it was called: the change, the value read then, and whether the write had resolved. */
interface Heard {
  readonly change: SettingChange;
  readonly read: Promise<string | null>;
  readonly writeHadResolved: boolean;
}

/**
 * Registers the SettingsStore contract: every promise the port makes, checked
 * against the store `create` returns. Call it at the top level of a test file.
 */
export function describeSettingsStoreContract<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  const { create, reset, rawValue, openSecondInstance, createUnavailable, holdNextCommit } = options;
  const teardown = options.teardown ?? ((store: S) => store.close());

  describe(`SettingsStore contract: ${options.name}`, () => {
    let store: S;
    const others: SettingsStore[] = [];

    beforeEach(async () => {
      store = await create();
      await reset?.(store);
    });

    afterEach(async () => {
      for (const other of others.splice(0)) await other.close();
      await teardown(store);
    });

    const secondInstance = async (): Promise<SettingsStore> => {
      const other = await openSecondInstance!();
      others.push(other);
      return other;
    };

    describe('get and set', () => {
      it('get - returns null for a missing key', async () => {
        expect(await store.get('missing')).toBeNull();
      });

      it('set - returns the record written, and get reads the same record back', async () => {
        const written = await store.set('provider', 'openai');
        expect(written).toMatchObject({ key: 'provider', value: 'openai', version: 1 });
        expect(await store.get('provider')).toEqual(written);
      });

      it('set - version starts at 1 and each write increments it by one', async () => {
        const versions: number[] = [];
        for (const value of ['a', 'b', 'c', 'd']) versions.push((await store.set('counter', value)).version);
        expect(versions).toEqual([1, 2, 3, 4]);
        expect((await store.get('counter'))?.version).toBe(4);
      });

      it('set - versions are counted per key', async () => {
        await store.set('one', 'x');
        await store.set('one', 'y');
        expect((await store.set('two', 'z')).version).toBe(1);
      });

      it('set - updatedAt is a valid Date that moves forward with a later write', async () => {
        const first = await store.set('timed', 'a');
        await sleep(10);
        const second = await store.set('timed', 'b');
        expect(first.updatedAt).toBeInstanceOf(Date);
        expect(Number.isNaN(first.updatedAt.getTime())).toBe(false);
        expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
        expect((await store.get('timed'))?.updatedAt.getTime()).toBe(second.updatedAt.getTime());
      });

      it('set - without expectedVersion replaces the value whatever the version', async () => {
        await store.set('free', 'a');
        await store.set('free', 'b');
        expect(await store.set('free', 'c')).toMatchObject({ value: 'c', version: 3 });
      });

      for (const [description, value] of EXACT_VALUES) {
        it(`set - get returns ${description} exactly as given`, async () => {
          expect((await store.set('exact', value)).value).toBe(value);
          expect((await store.get('exact'))?.value).toBe(value);
        });

        it.skipIf(!rawValue)(`set - the backend holds ${description} exactly as given${rawValue ? '' : ' (skipped: no rawValue hook)'}`, async () => {
          await store.set('exact', value);
          expect(await rawValue!('exact')).toBe(value);
        });
      }
    });

    describe('keys', () => {
      for (const [label, key] of LONGEST_KEYS) {
        it(`set - a key of the longest allowed length (255 characters, ${label}) round-trips through set, get, list, watch and delete`, async () => {
          const changes: SettingChange[] = [];
          store.watch((change) => changes.push(change));
          expect((await store.set(key, 'long key')).key).toBe(key);
          expect(await store.get(key)).toMatchObject({ key, value: 'long key', version: 1 });
          expect(await store.get(key.slice(0, -1))).toBeNull();
          expect((await listAll(store)).map((r) => r.key)).toEqual([key]);
          expect((await store.setMany([{ key, value: 'again', expectedVersion: 1 }]))[0]).toMatchObject({ key, version: 2 });
          expect(await store.delete(key, { expectedVersion: 2 })).toBe(true);
          expect(changes.map((c) => c.key)).toEqual([key, key, key]);
        });
      }

      it('set - keys differing only in case, accents or normalization are distinct', async () => {
        const keys = ['key', 'Key', 'KEY', 'ké', 'ke\u0301', 'ke'];
        for (const key of keys) await store.set(key, `value of ${key}`);
        for (const key of keys) expect((await store.get(key))?.value).toBe(`value of ${key}`);
        expect(await listAll(store)).toHaveLength(keys.length);
      });
    });

    describe('compare-and-set', () => {
      it('set - with expectedVersion equal to the current version writes and increments', async () => {
        const first = await store.set('cas', 'a');
        expect(await store.set('cas', 'b', { expectedVersion: first.version })).toMatchObject({ value: 'b', version: 2 });
      });

      it('set - with a stale expectedVersion throws ConflictError (SETTINGS.CONFLICT) and changes nothing', async () => {
        await store.set('cas', 'a');
        const current = await store.set('cas', 'b');
        await expectConflict(store.set('cas', 'c', { expectedVersion: 1 }));
        expect(await store.get('cas')).toEqual(current);
      });

      it('set - with expectedVersion 0 creates a missing key', async () => {
        expect(await store.set('new', 'a', { expectedVersion: 0 })).toMatchObject({ value: 'a', version: 1 });
      });

      it('set - with expectedVersion 0 throws ConflictError when the key exists', async () => {
        const existing = await store.set('taken', 'a');
        await expectConflict(store.set('taken', 'b', { expectedVersion: 0 }));
        expect(await store.get('taken')).toEqual(existing);
      });

      it('set - with expectedVersion above 0 on a missing key throws ConflictError and creates nothing', async () => {
        await expectConflict(store.set('ghost', 'a', { expectedVersion: 1 }));
        expect(await store.get('ghost')).toBeNull();
      });

      it('set - of 20 concurrent writers expecting the same version, exactly one wins', async () => {
        const base = await store.set('contended', 'start');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.set('contended', `writer ${i}`, { expectedVersion: base.version })),
        );
        const winners = outcomes.filter((o): o is PromiseFulfilledResult<SettingRecord> => o.status === 'fulfilled');
        const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(winners).toHaveLength(1);
        for (const loser of losers) expect(loser.reason).toMatchObject({ code: ErrorCodes.SETTINGS_CONFLICT });
        const stored = await store.get('contended');
        expect(stored?.version).toBe(base.version + 1);
        expect(stored?.value).toBe(winners[0]?.value.value);
      });

      it('set - 20 concurrent unconditional writers all land: versions 1 to 20, none lost', async () => {
        const records = await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('busy', `writer ${i}`)));
        expect(records.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const stored = await store.get('busy');
        expect(stored?.version).toBe(20);
        expect(stored?.value).toBe(records.find((r) => r.version === 20)?.value);
      });
    });

    describe('delete', () => {
      it('delete - returns true and removes an existing key', async () => {
        await store.set('doomed', 'a');
        expect(await store.delete('doomed')).toBe(true);
        expect(await store.get('doomed')).toBeNull();
      });

      it('delete - returns false for a missing key', async () => {
        expect(await store.delete('missing')).toBe(false);
      });

      it('delete - with a matching expectedVersion removes the key', async () => {
        const record = await store.set('doomed', 'a');
        expect(await store.delete('doomed', { expectedVersion: record.version })).toBe(true);
        expect(await store.get('doomed')).toBeNull();
      });

      it('delete - with another expectedVersion throws ConflictError and keeps the key', async () => {
        await store.set('kept', 'a');
        const current = await store.set('kept', 'b');
        await expectConflict(store.delete('kept', { expectedVersion: 1 }));
        expect(await store.get('kept')).toEqual(current);
      });

      it('delete - with expectedVersion on a missing key returns false', async () => {
        expect(await store.delete('missing', { expectedVersion: 3 })).toBe(false);
      });
    });

    describe('setMany', () => {
      it('setMany - writes every key and returns the records in the order given', async () => {
        await store.set('b', 'old b');
        const records = await store.setMany([
          { key: 'c', value: 'new c' },
          { key: 'a', value: 'new a', expectedVersion: 0 },
          { key: 'b', value: 'new b', expectedVersion: 1 },
        ]);
        expect(records.map((r) => [r.key, r.value, r.version])).toEqual([
          ['c', 'new c', 1],
          ['a', 'new a', 1],
          ['b', 'new b', 2],
        ]);
        for (const record of records) expect(await store.get(record.key)).toEqual(record);
      });

      // Stores may write in the order given or in key order: the conflicting write is put
      // first, in the middle and last of both.
      const conflicts: ReadonlyArray<readonly [string, SettingWrite, 'first' | 'middle' | 'last']> = [
        ['the first write (a stale version)', { key: 'a', value: 'new', expectedVersion: 7 }, 'first'],
        ['a middle write (a stale version)', { key: 'c', value: 'new', expectedVersion: 7 }, 'middle'],
        ['the last write (a stale version)', { key: 'e', value: 'new', expectedVersion: 7 }, 'last'],
        ['the last write (expectedVersion 0 on an existing key)', { key: 'e', value: 'new', expectedVersion: 0 }, 'last'],
        ['the last write (a version expected of a missing key)', { key: 'f', value: 'new', expectedVersion: 1 }, 'last'],
        ['the last write given, first in key order', { key: 'a', value: 'new', expectedVersion: 7 }, 'last'],
      ];
      for (const [which, conflicting, place] of conflicts) {
        it(`setMany - a conflict in ${which} writes nothing, reports nothing and throws ConflictError`, async () => {
          const before = await Promise.all(['a', 'c', 'e'].map((key) => store.set(key, `${key}1`)));
          const changes: SettingChange[] = [];
          store.watch((change) => changes.push(change));
          const rest: SettingWrite[] = [
            { key: 'a', value: 'a2' },
            { key: 'b', value: 'b1', expectedVersion: 0 },
            { key: 'c', value: 'c2' },
            { key: 'd', value: 'd1' },
            { key: 'e', value: 'e2', expectedVersion: 1 },
          ].filter((write) => write.key !== conflicting.key);
          const writes =
            place === 'first'
              ? [conflicting, ...rest]
              : place === 'last'
                ? [...rest, conflicting]
                : [...rest, conflicting].sort((x, y) => byCodePoint(x.key, y.key));
          await expectConflict(store.setMany(writes));
          for (const record of before) expect(await store.get(record.key)).toEqual(record);
          for (const key of ['b', 'd', 'f']) expect(await store.get(key)).toBeNull();
          expect(changes).toEqual([]);
        });
      }

      it('setMany - an empty list writes nothing and returns an empty list', async () => {
        expect(await store.setMany([])).toEqual([]);
        expect(await listAll(store)).toEqual([]);
      });
    });

    describe('list', () => {
      it('list - yields nothing for an empty store', async () => {
        expect(await listAll(store)).toEqual([]);
      });

      it('list - yields every record in key order (code point order, case-sensitive)', async () => {
        const keys = ['b', 'a', 'B', 'A', 'a-1', 'a_1', 'aa', 'Z', '1', '~', 'a.b'];
        for (const key of keys) await store.set(key, `value of ${key}`);
        await store.set('a', 'a again');
        const records = await listAll(store);
        expect(records.map((r) => r.key)).toEqual([...keys].sort());
        for (const record of records) expect(await store.get(record.key)).toEqual(record);
      });

      it('list - yields non-ASCII keys in code point order, not UTF-16 code unit order', async () => {
        for (const key of NON_ASCII_KEYS) await store.set(key, `value of ${key}`);
        const records = await listAll(store);
        expect(records.map((r) => r.key)).toEqual([...NON_ASCII_KEYS].sort(byCodePoint));
        for (const record of records) expect(record.value).toBe(`value of ${record.key}`);
      });

      it('list - yields a larger store of non-ASCII keys in code point order, each once', async () => {
        const keys = Array.from({ length: 230 }, (_, i) => `${NON_ASCII_KEYS[i % NON_ASCII_KEYS.length]}${i}`);
        await store.setMany(keys.map((key) => ({ key, value: `v${key}` })));
        const records = await listAll(store);
        expect(records.map((r) => r.key)).toEqual([...keys].sort(byCodePoint));
      });

      it('list - yields each record of a larger store exactly once', async () => {
        const keys = Array.from({ length: 250 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
        await store.setMany(keys.map((key) => ({ key, value: `v${key}` })));
        const records = await listAll(store);
        expect(records.map((r) => r.key)).toEqual(keys);
        expect(records.every((r) => r.value === `v${r.key}`)).toBe(true);
      });
    });

    describe('watch', () => {
      it('watch - reports each set with the key and origin local, never the value', async () => {
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await store.set('watched', 'not-in-the-event');
        await store.set('watched', 'still-not');
        expect(changes).toEqual([
          { key: 'watched', origin: 'local' },
          { key: 'watched', origin: 'local' },
        ]);
        expect(JSON.stringify(changes)).not.toContain('not-in-the-event');
      });

      it('watch - reports every key of a setMany and a delete', async () => {
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await store.setMany([
          { key: 'x', value: '1' },
          { key: 'y', value: '2' },
        ]);
        await store.delete('x');
        expect(changes).toEqual([
          { key: 'x', origin: 'local' },
          { key: 'y', origin: 'local' },
          { key: 'x', origin: 'local' },
        ]);
      });

      it('watch - stays silent for rejected writes', async () => {
        await store.set('k', 'a');
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await expectConflict(store.set('k', 'b', { expectedVersion: 0 }));
        await expectConflict(store.setMany([{ key: 'k', value: 'c', expectedVersion: 9 }]));
        await expectConflict(store.delete('k', { expectedVersion: 9 }));
        expect(changes).toEqual([]);
      });

      it('watch - a delete that finds nothing still reports the key, before it resolves', async () => {
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        expect(await store.delete('missing')).toBe(false);
        expect(changes).toEqual([{ key: 'missing', origin: 'local' }]);
        expect(await store.delete('missing', { expectedVersion: 0 })).toBe(false);
        expect(changes).toHaveLength(2);
      });

      for (const path of WRITE_PATHS) {
        it(`${path.method} - emits one change event per key after ${path.name}`, async () => {
          await path.prepare(store);
          const changes: SettingChange[] = [];
          store.watch((change) => changes.push(change));
          await path.write(store);
          expect([...changes].sort((a, b) => byCodePoint(a.key ?? '', b.key ?? ''))).toEqual(
            [...path.keys].sort(byCodePoint).map((key) => ({ key, origin: 'local' })),
          );
        });

        it(`${path.method} - after ${path.name}, listeners run once the write is durable and before its promise resolves`, async () => {
          await path.prepare(store);
          const heard: Heard[] = [];
          let resolved = false;
          store.watch((change) => {
            heard.push({ change, read: readValue(store, change.key), writeHadResolved: resolved });
          });
          await path.write(store).then(() => {
            resolved = true;
          });
          expect(heard.map((h) => h.change.key ?? '').sort(byCodePoint)).toEqual([...path.keys].sort(byCodePoint));
          for (const { change, read, writeHadResolved } of heard) {
            expect(writeHadResolved, `the event for ${change.key} came after the write resolved`).toBe(false);
            expect(await read, `a listener of ${change.key} read a value from before the write`).toBe(path.after[change.key ?? '']);
          }
        });
      }

      it('watch - every listener hears each write once', async () => {
        const heard: SettingChange[][] = [[], [], []];
        for (const changes of heard) store.watch((change) => changes.push(change));
        await store.set('k', 'a');
        await store.setMany([{ key: 'm', value: 'b' }]);
        await store.delete('k');
        for (const changes of heard) {
          expect(changes).toEqual([
            { key: 'k', origin: 'local' },
            { key: 'm', origin: 'local' },
            { key: 'k', origin: 'local' },
          ]);
        }
      });

      it('watch - a listener sees the write already durable', async () => {
        const reads: Promise<SettingRecord | null>[] = [];
        store.watch((change) => reads.push(store.get(change.key ?? '')));
        await store.set('durable', 'written');
        expect(reads).toHaveLength(1);
        expect((await reads[0])?.value).toBe('written');
      });

      it('watch - the returned function unsubscribes', async () => {
        const changes: SettingChange[] = [];
        const unsubscribe = store.watch((change) => changes.push(change));
        await store.set('k', 'a');
        unsubscribe();
        await store.set('k', 'b');
        expect(changes).toEqual([{ key: 'k', origin: 'local' }]);
      });

      it('watch - unsubscribing one listener leaves the others subscribed', async () => {
        const first: SettingChange[] = [];
        const second: SettingChange[] = [];
        const third: SettingChange[] = [];
        store.watch((change) => first.push(change));
        const unsubscribeSecond = store.watch((change) => second.push(change));
        store.watch((change) => third.push(change));
        unsubscribeSecond();
        await store.set('k', 'a');
        await store.delete('k');
        const both = [
          { key: 'k', origin: 'local' },
          { key: 'k', origin: 'local' },
        ];
        expect(first).toEqual(both);
        expect(second).toEqual([]);
        expect(third).toEqual(both);
      });

      it('watch - a throwing listener affects neither the write nor the other listeners', async () => {
        const changes: SettingChange[] = [];
        store.watch(() => {
          throw new Error('listener failure');
        });
        store.watch((change) => changes.push(change));
        const record = await store.set('k', 'a');
        expect(record.value).toBe('a');
        expect((await store.get('k'))?.value).toBe('a');
        expect(changes).toEqual([{ key: 'k', origin: 'local' }]);
      });
    });

    describe.skipIf(!holdNextCommit)(`a write held at its commit${holdNextCommit ? '' : ' (skipped: no holdNextCommit hook)'}`, () => {
      for (const path of WRITE_PATHS) {
        it(`${path.method} - after ${path.name}, no listener hears of it while its commit waits, and each hears it once it is durable`, async () => {
          await path.prepare(store);
          const heard: SettingChange[] = [];
          store.watch((change) => heard.push(change));
          const hold = await holdNextCommit!(store);
          let settled = false;
          const writing = path.write(store).finally(() => {
            settled = true;
          });
          try {
            const reached = await Promise.race([hold.reached.then(() => true), sleep(COMMIT_REACHED_TIMEOUT_MS).then(() => false)]);
            expect(reached, 'the write never reached the held commit').toBe(true);
            // Whatever a listener would be told ahead of the commit, it has been told by now.
            await sleep(20);
            expect(settled, 'the write resolved while its commit was held').toBe(false);
            expect(heard, 'listeners heard of the write before it was durable').toEqual([]);
          } finally {
            hold.release();
          }
          await writing;
          expect(heard.map((change) => change.key ?? '').sort(byCodePoint)).toEqual([...path.keys].sort(byCodePoint));
        }, 2 * COMMIT_REACHED_TIMEOUT_MS);
      }
    });

    describe('close', () => {
      it('close - later calls fail with an error and listeners hear nothing more', async () => {
        await store.set('k', 'before close');
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await store.close();
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['get', () => store.get('k')],
          ['set', () => store.set('k', 'after close')],
          ['setMany', () => store.setMany([{ key: 'k', value: 'after close' }])],
          ['delete', () => store.delete('k')],
          ['list', () => listAll(store)],
        ];
        for (const [method, call] of calls) {
          const error = await rejectionOf((async () => call())());
          expect(error, `${method} after close() did not fail`).toBeInstanceOf(Error);
          expect((error as Error).message, `${method} after close() failed without a message`).toMatch(/\S/);
        }
        expect(changes).toEqual([]);
      });
    });

    describe.skipIf(!openSecondInstance)(
      `another instance on the same backend${openSecondInstance ? '' : ' (skipped: no openSecondInstance hook)'}`,
      () => {
        /** Writes on `writer` until `heard` holds a remote change that may stand for `key`; feeds may start late or poll. */
        const writeUntilHeard = async (writer: SettingsStore, key: string, heard: SettingChange[]) => {
          let attempt = 0;
          await vi.waitFor(
            async () => {
              await writer.set(key, `written by the other instance, attempt ${++attempt}`);
              await sleep(20);
              expect(heard.some((change) => standsFor(change, key)), `no remote change for ${key} yet`).toBe(true);
            },
            { timeout: REMOTE_DELIVERY_TIMEOUT_MS, interval: 50 },
          );
        };

        it("watch - another instance's writes reach this one's listeners as remote changes (the key, or null), with the write durable", async () => {
          const changes: SettingChange[] = [];
          const heard: Array<{ change: SettingChange; read: Promise<string | null> }> = [];
          store.watch((change) => {
            changes.push(change);
            heard.push({ change, read: readValue(store, 'shared') });
          });
          const other = await secondInstance();
          await writeUntilHeard(other, 'shared', changes);
          const remote = heard.filter((h) => h.change.origin === 'remote');
          expect(remote.length).toBeGreaterThan(0);
          expect(heard.filter((h) => h.change.origin === 'local')).toEqual([]);
          // Once told, a read sees the other instance's write.
          expect(await remote.at(-1)!.read).toMatch(/^written by the other instance/);
        }, REMOTE_TEST_TIMEOUT_MS);

        it("watch - another instance's delete and setMany reach this one's listeners", async () => {
          const changes: SettingChange[] = [];
          const other = await secondInstance();
          await other.set('gone', 'soon deleted');
          store.watch((change) => changes.push(change));
          // The feed may start with watch(): wait until it delivers, then count what follows.
          await writeUntilHeard(other, 'warm-up', changes);
          changes.length = 0;
          await other.delete('gone');
          await vi.waitFor(() => expect(changes.some((change) => standsFor(change, 'gone'))).toBe(true), { timeout: REMOTE_DELIVERY_TIMEOUT_MS });
          changes.length = 0;
          await other.setMany([{ key: 'many', value: 'written together' }]);
          await vi.waitFor(() => expect(changes.some((change) => standsFor(change, 'many'))).toBe(true), { timeout: REMOTE_DELIVERY_TIMEOUT_MS });
          expect(await store.get('gone')).toBeNull();
          expect((await store.get('many'))?.value).toBe('written together');
        }, REMOTE_TEST_TIMEOUT_MS);

        it('watch - this instance hears its own writes as local only, never echoed back as remote', async () => {
          const changes: SettingChange[] = [];
          store.watch((change) => changes.push(change));
          const other = await secondInstance();
          await store.set('mine', 'written here');
          // The other instance's write arrives after any echo of ours would have.
          await writeUntilHeard(other, 'marker', changes);
          expect(changes.filter((c) => c.key === 'mine')).toEqual([{ key: 'mine', origin: 'local' }]);
        }, REMOTE_TEST_TIMEOUT_MS);

        it("close - ends delivery of another instance's writes", async () => {
          const closedHeard: SettingChange[] = [];
          store.watch((change) => closedHeard.push(change));
          const writer = await secondInstance();
          const witness = await secondInstance();
          const witnessHeard: SettingChange[] = [];
          witness.watch((change) => witnessHeard.push(change));
          await store.close();
          // The witness hearing the write shows it was delivered to open instances.
          await writeUntilHeard(writer, 'after-close', witnessHeard);
          expect(closedHeard).toEqual([]);
        }, REMOTE_TEST_TIMEOUT_MS);

        /** Listens here, and returns once the feed delivers (it may start with watch()). */
        const listenedTo = async (other: SettingsStore) => {
          const changes: SettingChange[] = [];
          store.watch((change) => changes.push(change));
          await writeUntilHeard(other, 'warm-up', changes);
          changes.length = 0;
          return changes;
        };
        const expectReportedRemote = (changes: SettingChange[], key: string) =>
          vi.waitFor(() => expect(changes.some((change) => standsFor(change, key)), `the other instance's write of ${key} went unreported`).toBe(true), {
            timeout: REMOTE_DELIVERY_TIMEOUT_MS,
          });

        it("watch - another instance's write just before a local write is still reported as remote, not folded into the local one", async () => {
          const other = await secondInstance();
          const changes = await listenedTo(other);
          await other.set('theirs', 'written there');
          await store.set('mine', 'written here');
          await expectReportedRemote(changes, 'theirs');
          expect(changes.filter((change) => change.origin === 'local')).toEqual([{ key: 'mine', origin: 'local' }]);
        }, REMOTE_TEST_TIMEOUT_MS);

        it("watch - another instance's writes made while local writes run are each reported as remote", async () => {
          const other = await secondInstance();
          const changes = await listenedTo(other);
          for (let round = 0; round < 3; round++) {
            // Either may go first: the local write may take the other's in, as a file store reading the file would.
            await Promise.all([other.setMany([{ key: `theirs-${round}`, value: 'written there' }]), store.set(`mine-${round}`, 'written here')]);
            await expectReportedRemote(changes, `theirs-${round}`);
            changes.length = 0;
          }
        }, REMOTE_TEST_TIMEOUT_MS);

        describe('two instances side by side', () => {
          it('set - two instances writing one key at once lose no write: each version once, the last one stored', async () => {
            const other = await secondInstance();
            const writes = Array.from({ length: SIDE_BY_SIDE_WRITES }, (_, i) => [store.set('both', `here ${i}`), other.set('both', `there ${i}`)]).flat();
            const records = await Promise.all(writes);
            const versions = records.map((record) => record.version).sort((a, b) => a - b);
            expect(versions).toEqual(Array.from({ length: 2 * SIDE_BY_SIDE_WRITES }, (_, i) => i + 1));
            const last = records.find((record) => record.version === 2 * SIDE_BY_SIDE_WRITES);
            expect(await store.get('both')).toMatchObject({ value: last?.value, version: 2 * SIDE_BY_SIDE_WRITES });
            expect(await other.get('both')).toMatchObject({ value: last?.value, version: 2 * SIDE_BY_SIDE_WRITES });
          }, SIDE_BY_SIDE_TEST_TIMEOUT_MS);

          it('set - of compare-and-set writers in two instances expecting the same version, exactly one wins', async () => {
            const other = await secondInstance();
            const base = await store.set('contended', 'start');
            const outcomes = await Promise.allSettled(
              Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).set('contended', `writer ${i}`, { expectedVersion: base.version })),
            );
            expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
            expect((await other.get('contended'))?.version).toBe(base.version + 1);
          }, SIDE_BY_SIDE_TEST_TIMEOUT_MS);

          it(`get - while another instance writes 64 KiB values, reads here${rawValue ? ' and straight from the backend' : ''} see a whole value each time, never a torn one`, async () => {
            const other = await secondInstance();
            const values = Array.from({ length: SIDE_BY_SIDE_WRITES }, (_, i) => `${i}:${largeValue().slice(0, -String(i).length - 1)}`);
            await other.set('large', values[0]!);
            let writing = true;
            const written = (async () => {
              try {
                for (const value of values.slice(1)) await other.set('large', value);
              } finally {
                writing = false;
              }
            })();
            const whole = new Set(values);
            const torn: Array<string | null> = [];
            let reads = 0;
            while (writing) {
              const [record, raw] = await Promise.all([store.get('large'), rawValue?.('large')]);
              for (const value of raw === undefined ? [record?.value ?? null] : [record?.value ?? null, raw]) {
                reads += 1;
                if (value === null || !whole.has(value)) torn.push(value);
              }
              // Lets the writer go on, however quick the reads.
              await new Promise((resolve) => setImmediate(resolve));
            }
            await written;
            expect(torn.map((value) => value?.slice(0, 20) ?? null), `of ${reads} reads, these saw no whole value`).toEqual([]);
          }, SIDE_BY_SIDE_TEST_TIMEOUT_MS);
        });
      },
    );

    describe.skipIf(!createUnavailable)(
      `unavailable backend${createUnavailable ? '' : ' (skipped: no createUnavailable hook)'}`,
      () => {
        it('set, setMany and delete - an unavailable backend fails with StorageUnavailableError whose message names no host or password; reads fail alike or answer', async () => {
          const { store: unavailable, neverMention } = await createUnavailable!();
          others.push(unavailable);
          const changes: SettingChange[] = [];
          unavailable.watch((change) => changes.push(change));
          const writes: Array<[string, () => Promise<unknown>]> = [
            ['set', () => unavailable.set('k', 'v')],
            ['set with expectedVersion', () => unavailable.set('k', 'v', { expectedVersion: 0 })],
            ['setMany', () => unavailable.setMany([{ key: 'k', value: 'v' }])],
            ['delete', () => unavailable.delete('k')],
          ];
          const reads: Array<[string, () => Promise<unknown>]> = [
            ['get', () => unavailable.get('k')],
            ['list', () => listAll(unavailable)],
          ];
          const failures: Array<[string, unknown]> = [];
          for (const [method, call] of writes) {
            const error = await rejectionOf((async () => call())());
            expect(error, `${method} on an unavailable backend did not fail`).toBeInstanceOf(Error);
            failures.push([method, error]);
          }
          for (const [method, call] of reads) {
            const error = await rejectionOf((async () => call())());
            if (error !== undefined) failures.push([method, error]);
          }
          for (const [method, error] of failures) {
            expect(error, method).toMatchObject({ name: 'StorageUnavailableError', code: ErrorCodes.STORAGE_UNAVAILABLE });
            for (const text of [(error as Error).message, String(error)]) {
              for (const secret of neverMention) expect(text, `${method}'s message names ${secret}`).not.toContain(secret);
            }
          }
          expect(changes.filter((c) => c.origin === 'local')).toEqual([]);
        }, UNAVAILABLE_TEST_TIMEOUT_MS);
      },
    );
  });
}

/** A remote change that tells of a write to `key`: its key, or null (writes may have been missed). */
function standsFor(change: SettingChange, key: string): boolean {
  return change.origin === 'remote' && (change.key === key || change.key === null);
}

/** The value a key holds now, read through the store; null when absent or for a null key. */
async function readValue(store: SettingsStore, key: string | null): Promise<string | null> {
  return key === null ? null : ((await store.get(key))?.value ?? null);
}
