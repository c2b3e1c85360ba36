import type { Row } from './dialects/dialect.js';
import { compareLockOrder, type UpsertRow } from './settings-sql.js';

/** Most rows in one statement; PostgreSQL allows 65 535 bound values, 3 per row. */
const MAX_BATCH_ROWS = 500;

interface Queued {
  row: UpsertRow;
  resolve(written: Row): void;
  reject(error: unknown): void;
}

/**
 * Unconditional upserts made while an earlier one is in flight wait and then go
 * together in one multi-row statement: one round trip and one commit for many
 * writes. On PostgreSQL that matters most: every commit that NOTIFYs holds one
 * cluster-wide lock through its WAL flush, so notifying statements run one at a
 * time however many connections send them. A lone write goes out at once, alone.
 *
 * Each statement has distinct keys (one statement cannot update a row twice; a
 * repeated key waits for the next statement, keeping the writes' order) in lock
 * order, so statements from several processes cannot deadlock.
 * @param upsert runs one statement for `rows` and returns the written rows.
 * @returns a function that upserts one row and resolves with it once durable.
 */
export function createUpsertBatcher(upsert: (rows: readonly UpsertRow[]) => Promise<Row[]>): (row: UpsertRow) => Promise<Row> {
  let queue: Queued[] = [];
  let flushing = false;

  /** Takes the next statement's rows off the queue: the first of each key, in key order. */
  const takeBatch = (): Queued[] => {
    const batch = new Map<string, Queued>();
    const later: Queued[] = [];
    for (const queued of queue) {
      if (batch.size < MAX_BATCH_ROWS && !batch.has(queued.row.key)) batch.set(queued.row.key, queued);
      else later.push(queued);
    }
    queue = later;
    return [...batch.values()].sort((a, b) => compareLockOrder(a.row.key, b.row.key));
  };

  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        const written = new Map((await upsert(batch.map((queued) => queued.row))).map((row) => [String(row.key), row]));
        for (const queued of batch) {
          const row = written.get(queued.row.key);
          if (row) queued.resolve(row);
          else queued.reject(new Error('The upsert returned no row for a key it wrote.'));
        }
      } catch (error) {
        for (const queued of batch) queued.reject(error);
      }
    }
    flushing = false;
  };

  return (row) =>
    new Promise<Row>((resolve, reject) => {
      queue.push({ row, resolve, reject });
      if (!flushing) void flush();
    });
}
