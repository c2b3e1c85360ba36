import { ConflictError, type HistoryEntry, type SettingRecord, type SettingWrite } from '@llm-settings/core';
import type { Row, SqlRunner } from './dialects/dialect.js';
import { appendHistory } from './history-sql.js';
import { compareLockOrder, deleteRow, selectOne, upsertRows, writeRow, type Statement } from './settings-sql.js';
import { toRecord, type SettingsTable } from './settings-table.js';
import { createUpsertBatcher, type BatchedWrite } from './upsert-batcher.js';

/**
 * The writes of the knex store. `set` and an unconditional `delete` are one statement
 * each (on PostgreSQL with their NOTIFY, in autocommit), and unconditional sets made while
 * one is in flight share the next batch, with their history entries (see
 * createUpsertBatcher); `setMany` and a compare-and-set `delete` run in a transaction.
 * Local listeners hear of each write once it is durable, before its promise resolves.
 * Any other write with a history entry runs in a transaction that appends it.
 */
export interface SettingsWrites {
  set(key: string, value: string, expectedVersion: number | undefined, history: HistoryEntry | undefined): Promise<SettingRecord>;
  setMany(writes: readonly SettingWrite[]): Promise<SettingRecord[]>;
  delete(key: string, expectedVersion: number | undefined, history: HistoryEntry | undefined): Promise<boolean>;
}

export function createSettingsWrites(table: SettingsTable): SettingsWrites {
  // Local listeners hear of each batched write in `set`.
  const upsert = createUpsertBatcher(
    (statements) => upsertBatch(table, statements),
    (error) => !table.dialect.isUnavailable(error),
  );
  return {
    set: (key, value, expectedVersion, history) =>
      expectedVersion === undefined
        ? setKey(table, upsert, key, value, history)
        : history === undefined
          ? compareAndSet(table, key, value, expectedVersion)
          : commit(table, async (run) => (await writeEach(table, run, [{ key, value, expectedVersion, history }]))[0]!, (record) => [record.key]),
    setMany: (writes) => commit(table, (run) => writeEach(table, run, writes), (records) => records.map((record) => record.key)),
    delete: (key, expectedVersion, history) => deleteKey(table, key, expectedVersion, history),
  };
}

/** An unconditional set, in the next batch. */
async function setKey(
  table: SettingsTable,
  upsert: (write: BatchedWrite) => Promise<Row>,
  key: string,
  value: string,
  history: HistoryEntry | undefined,
): Promise<SettingRecord> {
  const updatedAt = table.dialect.toTimestamp(table.now());
  const record = toRecord(table, await upsert({ key, value, updatedAt, history }));
  table.emit({ key, origin: 'local' });
  return record;
}

/** A compare-and-set without history: one statement. */
async function compareAndSet(table: SettingsTable, key: string, value: string, expectedVersion: number): Promise<SettingRecord> {
  const [row] = await writeAlone(table, writeRow(table.name, { key, value, expectedVersion }, table.dialect.toTimestamp(table.now())));
  // No row back: the version check failed.
  if (!row) throw new ConflictError();
  return toRecord(table, row);
}

async function deleteKey(table: SettingsTable, key: string, expectedVersion: number | undefined, history: HistoryEntry | undefined): Promise<boolean> {
  const deleted =
    expectedVersion === undefined && history === undefined
      ? (await writeAlone(table, deleteRow(table.name, key, undefined))).length > 0
      : await commit(
          table,
          async (run) => {
            const statement = deleteRow(table.name, key, expectedVersion);
            if ((await run(statement.sql, statement.bindings)).length > 0) {
              if (history) await appendHistory(table, run, [{ entry: history, at: table.dialect.toTimestamp(table.now()) }]);
              return true;
            }
            // Telling "missing" from "another version" takes a second read, in the same transaction.
            const existing = selectOne(table.name, key);
            if (expectedVersion !== undefined && (await run(existing.sql, existing.bindings)).length > 0) throw new ConflictError();
            return false;
          },
          (removed) => (removed ? [key] : []),
        );
  // Found nothing: still reported to local listeners (a concurrent delete's own event may
  // not have arrived yet), but not announced to other processes, since nothing changed.
  if (!deleted) table.emit({ key, origin: 'local' });
  return deleted;
}

/** Runs one write statement; tells other processes and local listeners the keys it wrote. */
async function writeAlone(table: SettingsTable, statement: Statement): Promise<Row[]> {
  const rows = await table.dialect.writeAlone(table.knex, statement.sql, statement.bindings);
  for (const row of rows) table.emit({ key: String(row.key), origin: 'local' });
  return rows;
}

/**
 * Runs the statements of one batch of unconditional sets: one without history alone, in
 * autocommit; otherwise all in one transaction, then the history entries of all its writes
 * in one statement (a key's entries in the order of its writes). The first statement holds
 * every key of the batch.
 */
async function upsertBatch(table: SettingsTable, statements: readonly (readonly BatchedWrite[])[]): Promise<Row[][]> {
  const { dialect, knex } = table;
  const [first = []] = statements;
  if (statements.length === 1 && first.every((write) => write.history === undefined)) {
    const statement = upsertRows(table.name, first);
    return [await dialect.writeAlone(knex, statement.sql, statement.bindings)];
  }
  return dialect.writeTransaction(knex, async (run) => {
    const written: Row[][] = [];
    for (const writes of statements) {
      const statement = upsertRows(table.name, writes);
      written.push(await run(statement.sql, statement.bindings));
    }
    await appendHistory(table, run, statements.flat().flatMap(({ history, updatedAt }) => (history ? [{ entry: history, at: updatedAt }] : [])));
    await dialect.publishChanges?.(run, first.map((row) => row.key));
    return written;
  });
}

/** Runs `work` in a write transaction, then tells other processes and local listeners what changed. */
async function commit<T>(table: SettingsTable, work: (run: SqlRunner) => Promise<T>, changedKeys: (result: T) => readonly string[]): Promise<T> {
  let keys: readonly string[] = [];
  const result = await table.dialect.writeTransaction(table.knex, async (run) => {
    const outcome = await work(run);
    keys = changedKeys(outcome);
    if (keys.length > 0) await table.dialect.publishChanges?.(run, keys);
    return outcome;
  });
  for (const key of keys) table.emit({ key, origin: 'local' });
  return result;
}

/**
 * Writes in lock order (a stable sort: a repeated key keeps its order), each with its history
 * entry when it has one; returns the records in the order given.
 */
async function writeEach(table: SettingsTable, run: SqlRunner, writes: readonly SettingWrite[]): Promise<SettingRecord[]> {
  const records: SettingRecord[] = [];
  const inLockOrder = writes.map((write, index) => ({ write, index })).sort((a, b) => compareLockOrder(a.write.key, b.write.key));
  for (const { write, index } of inLockOrder) {
    const at = table.dialect.toTimestamp(table.now());
    const statement = writeRow(table.name, write, at);
    const [row] = await run(statement.sql, statement.bindings);
    // No row back: the version check failed. Throwing rolls back the earlier writes too.
    if (!row) throw new ConflictError();
    if (write.history) await appendHistory(table, run, [{ entry: write.history, at }]);
    records[index] = toRecord(table, row);
  }
  return records;
}
