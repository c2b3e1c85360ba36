import type { Row } from './dialects/dialect.js';

/** Most keys one read takes: one bound value each, well within SQLite's limit. */
const MAX_BATCH_KEYS = 500;

interface Queued {
  key: string;
  resolve(row: Row | null): void;
  reject(error: unknown): void;
}

/**
 * Reads of one key made while an earlier read is in flight wait and then go together, in
 * one statement for all their keys: on SQLite's one connection, and beside the batched
 * writes on PostgreSQL's pool, many reads (a burst of writes each reading what it
 * replaces) cost one statement. A lone read goes out at once, alone. Each read still
 * begins after it was asked, so none answers with a row older than its call.
 * @param readMany reads the rows of the given distinct keys (absent keys have none).
 * @returns a function that reads one key's row, or null when it does not exist.
 */
export function createReadBatcher(readMany: (keys: readonly string[]) => Promise<Row[]>): (key: string) => Promise<Row | null> {
  const queue: Queued[] = [];
  let reading = false;

  const run = async (batch: readonly Queued[]) => {
    const rows = await readMany([...new Set(batch.map((queued) => queued.key))]);
    const byKey = new Map(rows.map((row) => [String(row.key), row]));
    for (const queued of batch) queued.resolve(byKey.get(queued.key) ?? null);
  };

  const flush = async () => {
    reading = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH_KEYS);
      await run(batch).catch((error: unknown) => {
        for (const queued of batch) queued.reject(error);
      });
    }
    reading = false;
  };

  return (key) =>
    new Promise<Row | null>((resolve, reject) => {
      queue.push({ key, resolve, reject });
      if (!reading) void flush();
    });
}
