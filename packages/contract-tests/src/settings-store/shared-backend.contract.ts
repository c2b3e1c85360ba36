import type { SettingChange, SettingsStore } from '@llm-settings/core';
import { describe, expect, it, vi } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { largeValue, sleep, readValue, describeStoreChecks, type StoreSubject } from './support.js';

/** How long a change made by another instance may take to arrive (stores may poll). */
const REMOTE_DELIVERY_TIMEOUT_MS = 10_000;

/** Room for the waits of a test with another instance, whatever the runner's testTimeout. */
const REMOTE_TEST_TIMEOUT_MS = 3 * REMOTE_DELIVERY_TIMEOUT_MS;

/** Writes of each instance in the checks of two instances side by side (64 KiB values in the one of torn reads). */
const SIDE_BY_SIDE_WRITES = 20;

/** Room for a long run of 64 KiB writes by two instances (a file store rewrites the whole file each time). */
const SIDE_BY_SIDE_TEST_TIMEOUT_MS = 60_000;

/** A remote change that tells of a write to `key`: its key, or null (writes may have been missed). */
function standsFor(change: SettingChange, key: string): boolean {
  return change.origin === 'remote' && (change.key === key || change.key === null);
}

/** With `openSecondInstance`: remote changes, and two instances side by side. */
export function sharedBackendChecks<S extends SettingsStore>(options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  const { rawValue, openSecondInstance } = options;
  describe.skipIf(!openSecondInstance)(
    `another instance on the same backend${openSecondInstance ? '' : ' (skipped: no openSecondInstance hook)'}`,
    () => {
      /**
       * Writes on `writer` until `heard` holds a remote change that may stand for `key`, heard
       * once the first write resolved (not the feed's start, say); feeds may start late or poll.
       */
      const writeUntilHeard = async (writer: SettingsStore, key: string, heard: SettingChange[]) => {
        let attempt = 0;
        let afterFirstWrite: number | undefined;
        await vi.waitFor(
          async () => {
            await writer.set(key, `written by the other instance, attempt ${++attempt}`);
            afterFirstWrite ??= heard.length;
            await sleep(20);
            expect(heard.slice(afterFirstWrite).some((change) => standsFor(change, key)), `no remote change for ${key} yet`).toBe(true);
          },
          { timeout: REMOTE_DELIVERY_TIMEOUT_MS, interval: 50 },
        );
      };

      it("watch - another instance's writes reach this one's listeners as remote changes (the key, or null), with the write durable", async () => {
        const changes: SettingChange[] = [];
        const heard: Array<{ change: SettingChange; read: Promise<string | null> }> = [];
        subject.store.watch((change) => {
          changes.push(change);
          heard.push({ change, read: readValue(subject.store, 'shared') });
        });
        const other = await subject.secondInstance();
        await writeUntilHeard(other, 'shared', changes);
        const remote = heard.filter((h) => h.change.origin === 'remote');
        expect(remote.length).toBeGreaterThan(0);
        expect(heard.filter((h) => h.change.origin === 'local')).toEqual([]);
        // Once told, a read sees the other instance's write.
        expect(await remote.at(-1)!.read).toMatch(/^written by the other instance/);
      }, REMOTE_TEST_TIMEOUT_MS);

      it("watch - another instance's write made as this one starts watching is reported (the key, or null), however long its feed takes to start", async () => {
        const other = await subject.secondInstance();
        // What a cache holds from before its feed was up.
        expect(await subject.store.get('early')).toBeNull();
        const changes: SettingChange[] = [];
        subject.store.watch((change) => changes.push(change));
        await other.set('early', 'written as the feed started');
        await vi.waitFor(() => expect(changes.some((change) => standsFor(change, 'early')), 'the write went unreported: a value read before it stays stale').toBe(true), {
          timeout: REMOTE_DELIVERY_TIMEOUT_MS,
        });
        expect(await readValue(subject.store, 'early'), 'once reported, a read still sees what was read before the write').toBe('written as the feed started');
      }, REMOTE_TEST_TIMEOUT_MS);

      it("watch - another instance's delete and setMany reach this one's listeners", async () => {
        const changes: SettingChange[] = [];
        const other = await subject.secondInstance();
        await other.set('gone', 'soon deleted');
        subject.store.watch((change) => changes.push(change));
        // The feed may start with watch(): wait until it delivers, then count what follows.
        await writeUntilHeard(other, 'warm-up', changes);
        changes.length = 0;
        await other.delete('gone');
        await vi.waitFor(() => expect(changes.some((change) => standsFor(change, 'gone'))).toBe(true), { timeout: REMOTE_DELIVERY_TIMEOUT_MS });
        changes.length = 0;
        await other.setMany([{ key: 'many', value: 'written together' }]);
        await vi.waitFor(() => expect(changes.some((change) => standsFor(change, 'many'))).toBe(true), { timeout: REMOTE_DELIVERY_TIMEOUT_MS });
        expect(await subject.store.get('gone')).toBeNull();
        expect((await subject.store.get('many'))?.value).toBe('written together');
      }, REMOTE_TEST_TIMEOUT_MS);

      it('watch - this instance hears its own writes as local only, never echoed back as remote', async () => {
        const changes: SettingChange[] = [];
        subject.store.watch((change) => changes.push(change));
        const other = await subject.secondInstance();
        await subject.store.set('mine', 'written here');
        // The other instance's write arrives after any echo of ours would have.
        await writeUntilHeard(other, 'marker', changes);
        expect(changes.filter((c) => c.key === 'mine')).toEqual([{ key: 'mine', origin: 'local' }]);
      }, REMOTE_TEST_TIMEOUT_MS);

      it("close - ends delivery of another instance's writes", async () => {
        // What arrived before close() finished (its feed starting, say) is not counted.
        let closed = false;
        const closedHeard: SettingChange[] = [];
        subject.store.watch((change) => closed && closedHeard.push(change));
        const writer = await subject.secondInstance();
        const witness = await subject.secondInstance();
        const witnessHeard: SettingChange[] = [];
        witness.watch((change) => witnessHeard.push(change));
        await subject.store.close();
        closed = true;
        // The witness hearing the write shows it was delivered to open instances.
        await writeUntilHeard(writer, 'after-close', witnessHeard);
        expect(closedHeard).toEqual([]);
      }, REMOTE_TEST_TIMEOUT_MS);

      /** Listens here, and returns once the feed delivers (it may start with watch()). */
      const listenedTo = async (other: SettingsStore) => {
        const changes: SettingChange[] = [];
        subject.store.watch((change) => changes.push(change));
        await writeUntilHeard(other, 'warm-up', changes);
        changes.length = 0;
        return changes;
      };
      const expectReportedRemote = (changes: SettingChange[], key: string) =>
        vi.waitFor(() => expect(changes.some((change) => standsFor(change, key)), `the other instance's write of ${key} went unreported`).toBe(true), {
          timeout: REMOTE_DELIVERY_TIMEOUT_MS,
        });

      it("watch - another instance's write just before a local write is still reported as remote, not folded into the local one", async () => {
        const other = await subject.secondInstance();
        const changes = await listenedTo(other);
        await other.set('theirs', 'written there');
        await subject.store.set('mine', 'written here');
        await expectReportedRemote(changes, 'theirs');
        expect(changes.filter((change) => change.origin === 'local')).toEqual([{ key: 'mine', origin: 'local' }]);
      }, REMOTE_TEST_TIMEOUT_MS);

      it("get - a value read here before another instance's write reads as that write once the write is reported", async () => {
        const other = await subject.secondInstance();
        const changes = await listenedTo(other);
        await subject.store.set('read-before', 'written here');
        expect(await readValue(subject.store, 'read-before')).toBe('written here');
        await other.set('read-before', 'written there');
        await expectReportedRemote(changes, 'read-before');
        expect(await readValue(subject.store, 'read-before'), 'a read after the report still sees the value from before it').toBe('written there');
      }, REMOTE_TEST_TIMEOUT_MS);

      it("watch - another instance's writes made while local writes run are each reported as remote", async () => {
        const other = await subject.secondInstance();
        const changes = await listenedTo(other);
        for (let round = 0; round < 3; round++) {
          // Either may go first: the local write may take the other's in, as a file store reading the file would.
          await Promise.all([other.setMany([{ key: `theirs-${round}`, value: 'written there' }]), subject.store.set(`mine-${round}`, 'written here')]);
          await expectReportedRemote(changes, `theirs-${round}`);
          changes.length = 0;
        }
      }, REMOTE_TEST_TIMEOUT_MS);

      describe('two instances side by side', () => {
        it('set - two instances writing one key at once lose no write: each version once, the last one stored', async () => {
          const other = await subject.secondInstance();
          const writes = Array.from({ length: SIDE_BY_SIDE_WRITES }, (_, i) => [subject.store.set('both', `here ${i}`), other.set('both', `there ${i}`)]).flat();
          const records = await Promise.all(writes);
          const versions = records.map((record) => record.version).sort((a, b) => a - b);
          expect(versions).toEqual(Array.from({ length: 2 * SIDE_BY_SIDE_WRITES }, (_, i) => i + 1));
          const last = records.find((record) => record.version === 2 * SIDE_BY_SIDE_WRITES);
          expect(await subject.store.get('both')).toMatchObject({ value: last?.value, version: 2 * SIDE_BY_SIDE_WRITES });
          expect(await other.get('both')).toMatchObject({ value: last?.value, version: 2 * SIDE_BY_SIDE_WRITES });
        }, SIDE_BY_SIDE_TEST_TIMEOUT_MS);

        it('set - of compare-and-set writers in two instances expecting the same version, exactly one wins', async () => {
          const other = await subject.secondInstance();
          const base = await subject.store.set('contended', 'start');
          const outcomes = await Promise.allSettled(
            Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? subject.store : other).set('contended', `writer ${i}`, { expectedVersion: base.version })),
          );
          expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
          expect((await other.get('contended'))?.version).toBe(base.version + 1);
        }, SIDE_BY_SIDE_TEST_TIMEOUT_MS);

        it(`get - while another instance writes 64 KiB values, reads here${rawValue ? ' and straight from the backend' : ''} see a whole value each time, never a torn one`, async () => {
          const other = await subject.secondInstance();
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
            const [record, raw] = await Promise.all([subject.store.get('large'), rawValue?.('large')]);
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
}

/**
 * Registers the checks with another instance on the same backend (`openSecondInstance`): its writes reach this one's listeners, and two instances side by side lose no write.
 * Call it at the top level of a test file.
 */
export function describeSettingsStoreSharedBackend<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, sharedBackendChecks);
}
