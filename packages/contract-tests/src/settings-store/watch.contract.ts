import type { SettingChange, SettingRecord, SettingsStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { byCodePoint, sleep, expectConflict, readValue, describeStoreChecks, type StoreSubject, watchLocal } from './support.js';

/** How long a held write may take to reach its commit. */
const COMMIT_REACHED_TIMEOUT_MS = 5_000;

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

/** `watch`: local writes reach every listener once, after they are durable. */
export function watchChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('watch', () => {
    it('watch - reports each set with the key and origin local, never the value', async () => {
      const changes: SettingChange[] = [];
      watchLocal(subject.store, (change) => changes.push(change));
      await subject.store.set('watched', 'not-in-the-event');
      await subject.store.set('watched', 'still-not');
      expect(changes).toEqual([
        { key: 'watched', origin: 'local' },
        { key: 'watched', origin: 'local' },
      ]);
      expect(JSON.stringify(changes)).not.toContain('not-in-the-event');
    });

    it('watch - reports every key of a setMany and a delete', async () => {
      const changes: SettingChange[] = [];
      watchLocal(subject.store, (change) => changes.push(change));
      await subject.store.setMany([
        { key: 'x', value: '1' },
        { key: 'y', value: '2' },
      ]);
      await subject.store.delete('x');
      expect(changes).toEqual([
        { key: 'x', origin: 'local' },
        { key: 'y', origin: 'local' },
        { key: 'x', origin: 'local' },
      ]);
    });

    it('watch - stays silent for rejected writes', async () => {
      await subject.store.set('k', 'a');
      const changes: SettingChange[] = [];
      watchLocal(subject.store, (change) => changes.push(change));
      await expectConflict(subject.store.set('k', 'b', { expectedVersion: 0 }));
      await expectConflict(subject.store.setMany([{ key: 'k', value: 'c', expectedVersion: 9 }]));
      await expectConflict(subject.store.delete('k', { expectedVersion: 9 }));
      expect(changes).toEqual([]);
    });

    it('watch - a delete that finds nothing still reports the key, before it resolves', async () => {
      const changes: SettingChange[] = [];
      watchLocal(subject.store, (change) => changes.push(change));
      expect(await subject.store.delete('missing')).toBe(false);
      expect(changes).toEqual([{ key: 'missing', origin: 'local' }]);
      expect(await subject.store.delete('missing', { expectedVersion: 0 })).toBe(false);
      expect(changes).toHaveLength(2);
    });

    for (const path of WRITE_PATHS) {
      it(`${path.method} - emits one change event per key after ${path.name}`, async () => {
        await path.prepare(subject.store);
        const changes: SettingChange[] = [];
        watchLocal(subject.store, (change) => changes.push(change));
        await path.write(subject.store);
        expect([...changes].sort((a, b) => byCodePoint(a.key ?? '', b.key ?? ''))).toEqual(
          [...path.keys].sort(byCodePoint).map((key) => ({ key, origin: 'local' })),
        );
      });

      it(`${path.method} - after ${path.name}, listeners run once the write is durable and before its promise resolves`, async () => {
        await path.prepare(subject.store);
        const heard: Heard[] = [];
        let resolved = false;
        watchLocal(subject.store, (change) => {
          heard.push({ change, read: readValue(subject.store, change.key), writeHadResolved: resolved });
        });
        await path.write(subject.store).then(() => {
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
      for (const changes of heard) watchLocal(subject.store, (change) => changes.push(change));
      await subject.store.set('k', 'a');
      await subject.store.setMany([{ key: 'm', value: 'b' }]);
      await subject.store.delete('k');
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
      watchLocal(subject.store, (change) => reads.push(subject.store.get(change.key ?? '')));
      await subject.store.set('durable', 'written');
      expect(reads).toHaveLength(1);
      expect((await reads[0])?.value).toBe('written');
    });

    it('watch - the returned function unsubscribes', async () => {
      const changes: SettingChange[] = [];
      const unsubscribe = watchLocal(subject.store, (change) => changes.push(change));
      await subject.store.set('k', 'a');
      unsubscribe();
      await subject.store.set('k', 'b');
      expect(changes).toEqual([{ key: 'k', origin: 'local' }]);
    });

    it('watch - unsubscribing one listener leaves the others subscribed', async () => {
      const first: SettingChange[] = [];
      const second: SettingChange[] = [];
      const third: SettingChange[] = [];
      watchLocal(subject.store, (change) => first.push(change));
      const unsubscribeSecond = watchLocal(subject.store, (change) => second.push(change));
      watchLocal(subject.store, (change) => third.push(change));
      unsubscribeSecond();
      await subject.store.set('k', 'a');
      await subject.store.delete('k');
      const both = [
        { key: 'k', origin: 'local' },
        { key: 'k', origin: 'local' },
      ];
      expect(first).toEqual(both);
      expect(second).toEqual([]);
      expect(third).toEqual(both);
    });

    it('watch - calling an unsubscribe function twice leaves the other listeners subscribed', async () => {
      const first: SettingChange[] = [];
      const second: SettingChange[] = [];
      const third: SettingChange[] = [];
      const unsubscribeFirst = watchLocal(subject.store, (change) => first.push(change));
      watchLocal(subject.store, (change) => second.push(change));
      watchLocal(subject.store, (change) => third.push(change));
      unsubscribeFirst();
      unsubscribeFirst();
      await subject.store.set('k', 'a');
      expect(first).toEqual([]);
      expect(second).toEqual([{ key: 'k', origin: 'local' }]);
      expect(third).toEqual([{ key: 'k', origin: 'local' }]);
    });

    it('watch - a throwing listener affects neither the write nor the other listeners', async () => {
      const changes: SettingChange[] = [];
      subject.store.watch(() => {
        throw new Error('listener failure');
      });
      watchLocal(subject.store, (change) => changes.push(change));
      const record = await subject.store.set('k', 'a');
      expect(record.value).toBe('a');
      expect((await subject.store.get('k'))?.value).toBe('a');
      expect(changes).toEqual([{ key: 'k', origin: 'local' }]);
    });
  });
}

/** With `holdNextCommit`: no listener hears of a write while its commit waits. */
export function heldCommitChecks<S extends SettingsStore>(options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  const { holdNextCommit } = options;
  describe.skipIf(!holdNextCommit)(`a write held at its commit${holdNextCommit ? '' : ' (skipped: no holdNextCommit hook)'}`, () => {
    for (const path of WRITE_PATHS) {
      it(`${path.method} - after ${path.name}, no listener hears of it while its commit waits, and each hears it once it is durable`, async () => {
        await path.prepare(subject.store);
        const heard: SettingChange[] = [];
        watchLocal(subject.store, (change) => heard.push(change));
        const hold = await holdNextCommit!(subject.store);
        let settled = false;
        const writing = path.write(subject.store).finally(() => {
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
}

/**
 * Registers the checks of the change feed: who hears which write, and when (with `holdNextCommit`, while a commit waits).
 * Call it at the top level of a test file.
 */
export function describeSettingsStoreWatch<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, watchChecks, heldCommitChecks);
}
