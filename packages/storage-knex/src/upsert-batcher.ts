import type { Row } from './dialects/dialect.js';
import { compareLockOrder, type UpsertRow } from './settings-sql.js';

/** Most writes one batch takes; each of its statements then binds at most 3 values per write. */
const MAX_BATCH_WRITES = 500;

interface Queued {
  write: UpsertRow;
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
 * the writer gets. A batch of more than one statement runs them in one transaction.
 * @param upsert runs the statements of one batch and returns each one's written rows.
 * @returns a function that upserts one value and resolves with its row once durable.
 */
export function createUpsertBatcher(
  upsert: (statements: readonly (readonly UpsertRow[])[]) => Promise<Row[][]>,
): (write: UpsertRow) => Promise<Row> {
  const queue: Queued[] = [];
  let flushing = false;

  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH_WRITES);
      const statements = statementsOf(batch);
      try {
        const written = await upsert(statements.map((writes) => writes.map((queued) => queued.write)));
        statements.forEach((writes, index) => settle(writes, written[index] ?? []));
      } catch (error) {
        for (const queued of batch) queued.reject(error);
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
