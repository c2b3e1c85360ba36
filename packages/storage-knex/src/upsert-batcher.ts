import type { Row } from './dialects/dialect.js';
import { compareLockOrder, type UpsertRow } from './settings-sql.js';

/** Most rows in one statement; PostgreSQL allows 65 535 bound values, 4 per row. */
const MAX_BATCH_ROWS = 500;

/** One unconditional write of a key's value. */
export type QueuedWrite = Omit<UpsertRow, 'writes'>;

interface Queued {
  write: QueuedWrite;
  resolve(written: Row): void;
  reject(error: unknown): void;
}

/** The queued writes of one key, in call order, and the row that stores them all. */
interface KeyWrites {
  writes: Queued[];
  row: UpsertRow;
}

/**
 * Unconditional upserts made while an earlier one is in flight wait and then go
 * together in one multi-row statement: one round trip and one commit for many
 * writes. On PostgreSQL that matters most: every commit that NOTIFYs holds one
 * cluster-wide lock through its WAL flush, so notifying statements run one at a
 * time however many connections send them. A lone write goes out at once, alone.
 *
 * Queued writes of one key become one row: the last value is stored and the version
 * moves by the number of writes, each writer getting its own value and its own version
 * in call order, as if the writes had run one after another with no read between
 * them (none could see the middle ones anyway). Rows go in lock order, so statements
 * from several processes cannot deadlock.
 * @param upsert runs one statement for `rows` (distinct keys) and returns the written rows.
 * @returns a function that upserts one value and resolves with its row once durable.
 */
export function createUpsertBatcher(upsert: (rows: readonly UpsertRow[]) => Promise<Row[]>): (write: QueuedWrite) => Promise<Row> {
  let queue: Queued[] = [];
  let flushing = false;

  /** Takes the next statement's writes off the queue, grouped by key, keys in lock order. */
  const takeBatch = (): KeyWrites[] => {
    const byKey = new Map<string, KeyWrites>();
    const later: Queued[] = [];
    for (const queued of queue) {
      const ofKey = byKey.get(queued.write.key);
      if (ofKey) {
        ofKey.writes.push(queued);
        ofKey.row = { ...queued.write, writes: ofKey.writes.length };
      } else if (byKey.size < MAX_BATCH_ROWS) {
        byKey.set(queued.write.key, { writes: [queued], row: { ...queued.write, writes: 1 } });
      } else {
        later.push(queued);
      }
    }
    queue = later;
    return [...byKey.values()].sort((a, b) => compareLockOrder(a.row.key, b.row.key));
  };

  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        const written = new Map((await upsert(batch.map((ofKey) => ofKey.row))).map((row) => [String(row.key), row]));
        for (const { writes, row } of batch) settle(writes, written.get(row.key));
      } catch (error) {
        for (const { writes } of batch) for (const queued of writes) queued.reject(error);
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

/** Hands each write of one key its version: the row's version is the last write's. */
function settle(writes: readonly Queued[], row: Row | undefined): void {
  if (row === undefined) {
    for (const queued of writes) queued.reject(new Error('The upsert returned no row for a key it wrote.'));
    return;
  }
  const last = writes.length - 1;
  writes.forEach((queued, index) => {
    if (index === last) queued.resolve(row);
    else queued.resolve({ key: row.key, value: queued.write.value, version: Number(row.version) - last + index, updated_at: queued.write.updatedAt });
  });
}
