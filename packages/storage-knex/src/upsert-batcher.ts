import type { HistoryEntry } from '@llm-settings/core';
import type { Row } from './dialects/dialect.js';
import { compareLockOrder, type UpsertRow } from './settings-sql.js';

/** Most writes one batch takes; each of its statements then binds at most 6 values per write (a history entry's). */
const MAX_BATCH_WRITES = 500;

/** An unconditional upsert, with the history entry its transaction appends, if any. */
export interface BatchedWrite extends UpsertRow {
  history?: HistoryEntry | undefined;
}

interface Queued {
  write: BatchedWrite;
  resolve(written: Row): void;
  reject(error: unknown): void;
}

/**
 * Unconditional upserts made while an earlier batch is in flight wait and then go
 * together: one commit for many writes. On PostgreSQL that matters most: every commit
 * that NOTIFYs holds one cluster-wide lock through its WAL flush, so notifying
 * commits run one at a time however many connections send them. A lone write goes
 * out at once, alone.
 *
 * A batch is a list of statements, each a multi-row upsert of distinct keys in lock
 * order (so statements from several processes cannot deadlock). A key's first queued
 * write goes in the first statement, its second in the second, and so on: each write
 * is its own row update, whose version the row really holds and whose returned row
 * the writer gets. A batch of more than one statement, or with history entries, runs
 * in one transaction. On SQLite, whose one connection runs one statement per turn of
 * a busy event loop, a batch's few statements replace several per write.
 *
 * When a batch of several writes fails for a reason `failsAlone` accepts (a write
 * the database refuses, not an outage), each of its writes is tried again on its
 * own, so that only the write at fault fails.
 * @param upsert runs the statements of one batch and returns each one's written rows.
 * @returns a function that upserts one value and resolves with its row once durable.
 */
export function createUpsertBatcher(
  upsert: (statements: readonly (readonly BatchedWrite[])[]) => Promise<Row[][]>,
  failsAlone: (error: unknown) => boolean,
): (write: BatchedWrite) => Promise<Row> {
  const queue: Queued[] = [];
  let flushing = false;

  /** Runs the writes as one batch and settles each; throws when the batch fails. */
  const run = async (batch: readonly Queued[]) => {
    const statements = statementsOf(batch);
    const written = await upsert(statements.map((writes) => writes.map((queued) => queued.write)));
    statements.forEach((writes, index) => settle(writes, written[index] ?? []));
  };

  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH_WRITES);
      try {
        await run(batch);
      } catch (error) {
        if (batch.length === 1 || !failsAlone(error)) {
          for (const queued of batch) queued.reject(error);
          continue;
        }
        for (const queued of batch) await run([queued]).catch(queued.reject);
      }
    }
    flushing = false;
  };

  return (write) =>
    new Promise<Row>((resolve, reject) => {
      queue.push({ write, resolve, reject });
      if (!flushing) void flush();
    });
}

/** Splits a batch into statements of distinct keys: a key's n-th write goes in the n-th, keeping call order per key. */
function statementsOf(batch: readonly Queued[]): Queued[][] {
  const statements: Queued[][] = [];
  const writesOfKey = new Map<string, number>();
  for (const queued of batch) {
    const index = writesOfKey.get(queued.write.key) ?? 0;
    writesOfKey.set(queued.write.key, index + 1);
    (statements[index] ??= []).push(queued);
  }
  for (const writes of statements) writes.sort((a, b) => compareLockOrder(a.write.key, b.write.key));
  return statements;
}

/** Hands each write the row its statement returned for its key. */
function settle(writes: readonly Queued[], rows: readonly Row[]): void {
  const byKey = new Map(rows.map((row) => [String(row.key), row]));
  for (const queued of writes) {
    const row = byKey.get(queued.write.key);
    if (row) queued.resolve(row);
    else queued.reject(new Error('The upsert returned no row for a key it wrote.'));
  }
}
