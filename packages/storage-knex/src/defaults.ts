/** Default table name of the store and its migrations. */
export const DEFAULT_SETTINGS_TABLE = 'settings';

/** Default PostgreSQL LISTEN/NOTIFY channel. */
export const DEFAULT_NOTIFY_CHANNEL = 'llm_settings_changes';

/** The history table that goes with a settings table. */
export function historyTableOf(settingsTable: string): string {
  return `${settingsTable}_history`;
}
