import type { Knex } from 'knex';
import type { ChangeSubscription } from './dialect.js';

export interface DataVersionPollOptions {
  /** A knex whose pool holds one connection, which makes all of this store's reads and writes. */
  knex: Knex;
  intervalMs: number;
  /** Name of this store's marker table; unique per store. */
  marker: string;
  /** Another connection committed since the last poll. */
  onChange(): void;
  /** The first value was read: commits made before it went unseen. */
  onStarted(): void;
}

/** `data_version` of the connection that runs it, and whether that connection holds the marker table. */
const READ_SQL = 'SELECT data_version AS "version", EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = ?) AS "marked" FROM pragma_data_version';

/**
 * Polls SQLite's `PRAGMA data_version` through the pool's one connection. Its value
 * moves only when another connection commits (another process, another knex on the
 * file), never for the connection's own writes: this store's writes are not
 * reported back to it, and nothing else is needed to tell them apart.
 *
 * Values from two connections cannot be compared, and the pool replaces its
 * connection after some failures. A temp table lives and dies with its connection:
 * when the marker is missing, the value comes from a connection not seen before, so
 * the poll starts over from it and reports a change, since commits made meanwhile
 * could not be seen. The first value is such a start: commits made before it are
 * in it, unseen, so it is reported as `onStarted`. A failed poll loses nothing (the
 * value keeps moving until it is read), so it is simply tried again at the next tick.
 */
export function pollDataVersion(options: DataVersionPollOptions): ChangeSubscription {
  const { knex, marker } = options;
  /** The value at the last poll, on the marked connection; undefined before the first poll. */
  let last: number | undefined;
  /** From finding a connection without the marker until a value is read from the marked one. */
  let startingOver = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  const read = async () => {
    const [row] = (await knex.raw(READ_SQL, [marker])) as { version: number; marked: number }[];
    return { version: Number(row?.version), marked: row?.marked === 1 };
  };

  const poll = async () => {
    let { version, marked } = await read();
    if (!marked) {
      startingOver = true;
      await knex.raw('CREATE TEMP TABLE IF NOT EXISTS ?? (unused INTEGER)', [marker]);
      ({ version, marked } = await read());
      // Replaced again in between: the next poll starts over.
      if (!marked) return;
    }
    const previous = last;
    const changed = startingOver || version !== previous;
    last = version;
    startingOver = false;
    if (closed) return;
    if (previous === undefined) options.onStarted();
    else if (changed) options.onChange();
  };

  const tick = async () => {
    polling = poll().catch(() => undefined);
    await polling;
    if (closed) return;
    timer = setTimeout(() => void tick(), options.intervalMs);
    // The poller alone must not keep the process alive.
    timer.unref();
  };

  void tick();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      // No query of the poller outlives close, so the caller may destroy the knex next.
      await polling;
    },
  };
}
