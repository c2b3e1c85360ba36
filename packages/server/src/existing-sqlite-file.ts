import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@llm-settings/core';
import { cliCommand } from './cli-command.js';
import { sqlitePathOf, type ServerConfig } from './config.js';

/**
 * Refuses an SQLite database file that is not there, naming it, for a command on an
 * existing deployment: opening it would create it (storage-knex makes a missing file, as
 * serve and migrate need), leaving an empty database where a mistyped path pointed.
 * Nothing to check for PostgreSQL or `sqlite::memory:`.
 * @throws ConfigError naming the file.
 */
export function assertSqliteFileExists(config: ServerConfig): void {
  const path = sqlitePathOf(config.databaseUrl.reveal());
  if (path === null || path === ':memory:') return;
  // As storage-knex reads it: relative to the working directory (loadConfig has made it absolute already).
  const file = resolve(path);
  if (existsSync(file)) return;
  throw new ConfigError(
    `There is no SQLite database file ${file}; nothing was created: check DATABASE_URL and LLM_SETTINGS_HOME, or run ${cliCommand('migrate')} first if a new database belongs there.`,
  );
}
