import { randomUUID } from 'node:crypto';
import { ConfigError } from '@llm-settings/core';
import type { Knex } from 'knex';
import { DEFAULT_NOTIFY_CHANNEL } from '../defaults.js';
import type { KnexConnectionFacts } from '../knex-connection-facts.js';
import type { Dialect } from './dialect.js';
import { createPostgresDialect } from './postgres.js';
import { createSqliteDialect } from './sqlite.js';

/** How a store hears of other processes' writes. */
export interface RemoteFeedOptions {
  /** PostgreSQL LISTEN/NOTIFY channel. */
  channel: string;
  /** Identifies this store's own notifications (PostgreSQL) and marker table (SQLite). */
  instanceId: string;
  /** Whether to report other processes' writes at all. */
  listen: boolean;
  /** PostgreSQL: the LISTEN connection's settings, when not handed along by createKnexFromUrl. */
  listenConnection?: string | object | undefined;
  /** SQLite: how often to poll `PRAGMA data_version`. */
  pollIntervalMs: number;
}

const NO_FEED: RemoteFeedOptions = { channel: DEFAULT_NOTIFY_CHANNEL, instanceId: randomUUID(), listen: false, pollIntervalMs: 0 };

/** knex's names for the clients the store supports, aliases included. */
const SQLITE_CLIENTS: ReadonlySet<unknown> = new Set(['sqlite3', 'sqlite']);
const POSTGRES_CLIENTS: ReadonlySet<unknown> = new Set(['pg', 'postgres', 'postgresql']);

/**
 * Picks the dialect matching the knex `client` option (as knex's documentation reads it,
 * from `knex.client.config`); only `sqlite3` and `pg` are supported.
 * @param facts what createKnexFromUrl made the knex with; none for a knex made otherwise.
 * @throws ConfigError for another client, or a feed that cannot work on this knex.
 */
export function dialectFor(knex: Knex, facts: KnexConnectionFacts = {}, feed: RemoteFeedOptions = NO_FEED): Dialect {
  const { client, pool }: Knex.Config = knex.client.config;
  if (SQLITE_CLIENTS.has(client)) {
    // data_version is read on the pool's connection: only with one connection is it the same one each time.
    if (feed.listen && (pool?.max ?? 1) > 1) {
      throw new ConfigError(
        'The SQLite change feed needs a knex pool of one connection (knex\'s default for sqlite3): set pool.max to 1, or listenForRemoteChanges to false.',
      );
    }
    return createSqliteDialect({
      instanceId: feed.instanceId,
      pollIntervalMs: feed.listen ? feed.pollIntervalMs : undefined,
      replaceConnections: facts.replaceConnections,
      databaseFile: facts.databaseFile,
    });
  }
  if (POSTGRES_CLIENTS.has(client)) {
    const listenConnection = feed.listen ? (feed.listenConnection ?? facts.postgresClientConfig) : undefined;
    if (feed.listen && listenConnection === undefined) {
      throw new ConfigError(
        'The PostgreSQL change feed needs the settings of its LISTEN connection: pass listenConnection, create the knex with createKnexFromUrl, or set listenForRemoteChanges to false.',
      );
    }
    return createPostgresDialect({ channel: feed.channel, instanceId: feed.instanceId, listenConnection });
  }
  throw new ConfigError('The knex settings store supports only the "sqlite3" and "pg" knex clients.');
}
