/** Default table name of the store and its migrations. */
export const DEFAULT_SETTINGS_TABLE = 'settings';

/** Default PostgreSQL LISTEN/NOTIFY channel. */
export const DEFAULT_NOTIFY_CHANNEL = 'llm_settings_changes';

/** The history table that goes with a settings table. */
export function historyTableOf(settingsTable: string): string {
  return `${settingsTable}_history`;
}

/**
 * How long an SQLite write waits for the database: a statement for another
 * connection's lock (busy_timeout), and a write for its turn in the store's queue.
 */
export const SQLITE_WRITE_WAIT_MS = 5_000;
