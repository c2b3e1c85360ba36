import type { Knex } from 'knex';
import type { SqliteFileGuard } from './sqlite-file-guard.js';

/**
 * What `createKnexFromUrl` knows about a knex it made, which the store built on it
 * uses, so that the store never reads connection settings or pool internals back out
 * of knex.
 */
export interface KnexConnectionFacts {
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

/** A knex made by `createKnexFromUrl`: a plain knex instance that also carries its connection facts. */
export interface KnexFromUrl extends Knex {
  readonly connectionFacts: KnexConnectionFacts;
}

/** Gives `knex` the facts `createKnexFromUrl` made it with; returns `knex`. */
export function withConnectionFacts(knex: Knex, facts: KnexConnectionFacts): KnexFromUrl {
  return Object.assign(knex, { connectionFacts: facts });
}

/** The facts of a knex made by `createKnexFromUrl`; none for a knex made any other way. */
export function connectionFactsOf(knex: Knex): KnexConnectionFacts {
  return 'connectionFacts' in knex ? (knex as KnexFromUrl).connectionFacts : {};
}
