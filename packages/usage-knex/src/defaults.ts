/** The table of usage rows, beside the settings table. */
export const DEFAULT_USAGE_TABLE = 'llm_usage';
