import type { HistoryEntry, HistoryRecord, SettingsStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { describeStoreChecks, expectConflict, sleep, type StoreSubject } from './support.js';

const entry = (scope: string, action = 'update', fields: readonly string[] = ['model']): HistoryEntry => ({
  scope,
  action,
  actor: 'admin',
  fields,
  apiKeyChanged: fields.includes('api_key'),
});

/** The history a scope has now, newest first, as plain entries. */
async function historyOf(store: SettingsStore, scope: string, limit = 100) {
  return (await store.readHistory({ scope, limit })).map(({ scope, action, actor, fields, apiKeyChanged }) => ({ scope, action, actor, fields: [...fields], apiKeyChanged }));
}

/** Every entry of a scope, newest first, read a page of one at a time with `before`; fails after 20 pages, on a cursor that never ends. */
async function pageByOne(store: SettingsStore, scope: string): Promise<HistoryRecord[]> {
  const entries: HistoryRecord[] = [];
  for (let page = 0; page < 20; page++) {
    const [next] = await store.readHistory({ scope, limit: 1, before: entries.at(-1)?.id ?? null });
    if (!next) return entries;
    entries.push(next);
  }
  throw new Error(`readHistory pages of ${scope} did not end`);
}

/** The history appended with writes, in their transaction, and read back by scope and page. */
export function historyChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('history', () => {
    it('set - with a history entry appends it, with an id and the time of the write', async () => {
      const before = Date.now();
      await subject.store.set('h', 'a', { history: entry('s1', 'update', ['provider', 'api_key']) });
      const [record, ...rest] = await subject.store.readHistory({ scope: 's1', limit: 10 });
      expect(rest).toEqual([]);
      expect(record).toMatchObject({ scope: 's1', action: 'update', actor: 'admin', fields: ['provider', 'api_key'], apiKeyChanged: true });
      expect(Number.isInteger(record!.id)).toBe(true);
      expect(record!.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });

    it('set - without a history entry appends nothing', async () => {
      await subject.store.set('h', 'a');
      await subject.store.set('h', 'b', { expectedVersion: 1 });
      expect(await subject.store.readHistory({ scope: 's1', limit: 10 })).toEqual([]);
    });

    it('set - a refused compare-and-set appends nothing', async () => {
      await subject.store.set('h', 'a');
      await expectConflict(subject.store.set('h', 'b', { expectedVersion: 7, history: entry('s1') }));
      await expectConflict(subject.store.set('h', 'b', { expectedVersion: 0, history: entry('s1') }));
      expect(await subject.store.readHistory({ scope: 's1', limit: 10 })).toEqual([]);
    });

    it('setMany - appends the entry of each write that has one; a conflict appends none', async () => {
      await subject.store.setMany([
        { key: 'a', value: '1', history: entry('s1', 'rotate', []) },
        { key: 'b', value: '1' },
        { key: 'c', value: '1', history: entry('s2', 'rotate', []) },
      ]);
      await expectConflict(
        subject.store.setMany([
          { key: 'a', value: '2', history: entry('s1', 'confirm-endpoint', []) },
          { key: 'b', value: '2', expectedVersion: 5 },
        ]),
      );
      expect(await historyOf(subject.store, 's1')).toEqual([{ scope: 's1', action: 'rotate', actor: 'admin', fields: [], apiKeyChanged: false }]);
      expect(await historyOf(subject.store, 's2')).toHaveLength(1);
    });

    it('delete - with a history entry appends it when a record was removed, and nothing for a missing key or a conflict', async () => {
      await subject.store.set('d', 'a');
      await expectConflict(subject.store.delete('d', { expectedVersion: 9, history: entry('s1', 'delete', []) }));
      expect(await subject.store.delete('missing', { history: entry('s1', 'delete', []) })).toBe(false);
      expect(await historyOf(subject.store, 's1')).toEqual([]);
      expect(await subject.store.delete('d', { history: entry('s1', 'delete', ['provider']) })).toBe(true);
      expect(await historyOf(subject.store, 's1')).toEqual([{ scope: 's1', action: 'delete', actor: 'admin', fields: ['provider'], apiKeyChanged: false }]);
    });

    it('readHistory - newest first, of the scope asked for only', async () => {
      await subject.store.set('k', '1', { history: entry('s1', 'update', ['provider']) });
      await subject.store.set('other', '1', { history: entry('s2') });
      await subject.store.set('k', '2', { history: entry('s1', 'inherit', ['inherit_from']) });
      expect((await historyOf(subject.store, 's1')).map((e) => e.action)).toEqual(['inherit', 'update']);
      expect((await historyOf(subject.store, 's2')).map((e) => e.scope)).toEqual(['s2']);
    });

    it('readHistory - pages with `before`: every entry once, newest first, the last page short', async () => {
      for (let i = 0; i < 5; i++) await subject.store.set('p', String(i), { history: entry('paged', 'update', [`f${i}`]) });
      const first = await subject.store.readHistory({ scope: 'paged', limit: 2 });
      const second = await subject.store.readHistory({ scope: 'paged', limit: 2, before: first[1]!.id });
      const third = await subject.store.readHistory({ scope: 'paged', limit: 2, before: second[1]!.id });
      expect([...first, ...second, ...third].map((e) => e.fields[0])).toEqual(['f4', 'f3', 'f2', 'f1', 'f0']);
      expect(third).toHaveLength(1);
      expect(await subject.store.readHistory({ scope: 'paged', limit: 2, before: third[0]!.id })).toEqual([]);
    });

    it('readHistory - a cursor beyond every id, up to the largest safe integer, pages from the newest', async () => {
      await subject.store.set('p', '1', { history: entry('far', 'update', ['f1']) });
      for (const before of [2 ** 31, Number.MAX_SAFE_INTEGER]) {
        expect((await subject.store.readHistory({ scope: 'far', limit: 2, before })).map((e) => e.fields[0]), String(before)).toEqual(['f1']);
      }
    });

    it('readHistory - scopes differing only in case, accents, normalization or a trailing space are distinct', async () => {
      const scopes = ['acme', 'Acme', 'ACME', 'acmé', 'acme\u0301', 'acme '];
      for (const scope of scopes) await subject.store.set('k', scope, { history: entry(scope) });
      for (const scope of scopes) expect((await historyOf(subject.store, scope)).map((e) => e.scope), JSON.stringify(scope)).toEqual([scope]);
    });

    it('pruneHistory - removes the entries of every scope written before the cutoff and says how many', async () => {
      await subject.store.set('q', '1', { history: entry('pruned') });
      await subject.store.set('r', '1', { history: entry('also pruned') });
      await subject.store.set('q', '2', { history: entry('pruned') });
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      await subject.store.set('q', '3', { history: entry('pruned', 'delete') });
      await subject.store.set('r', '2', { history: entry('also pruned', 'delete') });
      expect(await subject.store.pruneHistory(cutoff)).toBe(3);
      expect((await historyOf(subject.store, 'pruned')).map((e) => e.action)).toEqual(['delete']);
      expect((await historyOf(subject.store, 'also pruned')).map((e) => e.action)).toEqual(['delete']);
      expect((await subject.store.get('q'))?.value).toBe('3');
    });

    it('readHistory - entries appended after a prune get higher ids, and pages with `before` hold every entry once', async () => {
      for (const field of ['f0', 'f1']) await subject.store.set('p', field, { history: entry('ids', 'update', [field]) });
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      for (const field of ['f2', 'f3']) await subject.store.set('p', field, { history: entry('ids', 'update', [field]) });
      const idsBefore = (await subject.store.readHistory({ scope: 'ids', limit: 10 })).map((e) => e.id);
      expect(await subject.store.pruneHistory(cutoff)).toBe(2);
      for (const field of ['f4', 'f5']) await subject.store.set('p', field, { history: entry('ids', 'update', [field]) });
      const paged = await pageByOne(subject.store, 'ids');
      expect(paged.map((e) => e.fields[0])).toEqual(['f5', 'f4', 'f3', 'f2']);
      for (const { id } of paged.slice(0, 2)) expect(id).toBeGreaterThan(Math.max(...idsBefore));
    });

    it('pruneHistory - an entry appended after every entry was pruned gets an id above every earlier one', async () => {
      for (const field of ['f0', 'f1']) await subject.store.set('p', field, { history: entry('ids', 'update', [field]) });
      const [newest] = await subject.store.readHistory({ scope: 'ids', limit: 1 });
      await sleep(20);
      expect(await subject.store.pruneHistory(new Date())).toBe(2);
      await subject.store.set('p', 'f2', { history: entry('ids', 'update', ['f2']) });
      const [appended, ...rest] = await subject.store.readHistory({ scope: 'ids', limit: 10 });
      expect(rest).toEqual([]);
      expect(appended!.id).toBeGreaterThan(newest!.id);
    });
  });
}

/** The history concern alone: see {@link describeSettingsStoreContract}. */
export function describeSettingsStoreHistory<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, historyChecks);
}
