import { randomUUID } from 'node:crypto';
import { ConfigError } from '@llm-settings/core';
import type { Knex } from 'knex';
import { DEFAULT_NOTIFY_CHANNEL } from '../defaults.js';
import type { Dialect } from './dialect.js';
import { createPostgresDialect, type PostgresDialectOptions } from './postgres.js';
import { createSqliteDialect } from './sqlite.js';

/**
 * Picks the dialect matching the knex client; only `sqlite3` and `pg` are supported.
 * `changeFeed` matters on PostgreSQL only.
 */
export function dialectFor(
  knex: Knex,
  changeFeed: PostgresDialectOptions = { channel: DEFAULT_NOTIFY_CHANNEL, instanceId: randomUUID() },
): Dialect {
  switch (knex.client.dialect) {
    case 'sqlite3':
      return createSqliteDialect();
    case 'postgresql':
      return createPostgresDialect(changeFeed);
    default:
      throw new ConfigError('The knex settings store supports only the "sqlite3" and "pg" knex clients.');
  }
}
