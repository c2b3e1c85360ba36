import type { Knex } from 'knex';
import type { SqliteFileGuard } from './sqlite-file-guard.js';

/**
 * What `createKnexFromUrl` knows about a knex it made and hands along to the store
 * built on it, so the store never reads connection settings or pool internals back
 * out of knex.
 */
export interface KnexCompanion {
  /** PostgreSQL: node-postgres `Client` settings that reach the same database as the pool. */
  readonly postgresClientConfig?: object;
  /**
   * SQLite: has the pool replace every connection opened so far at its next use
   * (through knex's public `pool.validate` hook).
   */
  readonly replaceConnections?: () => void;
  /** SQLite: whether the database file at the path is still the one the connection opened. */
  readonly databaseFile?: SqliteFileGuard;
}

const companions = new WeakMap<Knex, KnexCompanion>();

/** Records what `createKnexFromUrl` made `knex` with; returns `knex`. */
export function attachCompanion(knex: Knex, companion: KnexCompanion): Knex {
  companions.set(knex, companion);
  return knex;
}

/** What `createKnexFromUrl` recorded for `knex`; empty for a knex made any other way. */
export function companionOf(knex: Knex): KnexCompanion {
  return companions.get(knex) ?? {};
}
