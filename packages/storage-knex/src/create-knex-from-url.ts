import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';

/** How long an SQLite statement waits for another connection's write lock. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface KnexFromUrlOptions {
  /**
   * PostgreSQL pool bounds. SQLite always uses one connection, which serializes
   * this process's queries and keeps a `:memory:` database alive.
   * @default { min: 0, max: 10 }
   */
  pool?: { min?: number; max?: number };
  /**
   * Longest wait for a pooled connection, and (PostgreSQL) for a new connection
   * to open. Past it the store reports StorageUnavailableError instead of hanging.
   * @default 2000
   */
  acquireTimeoutMs?: number;
}

const INVALID_URL_MESSAGE =
  'The database URL is not supported. Use sqlite:<file path>, sqlite::memory:, or postgres://user:password@host:port/database.';

/**
 * Creates a knex instance from a DATABASE_URL: `sqlite:<path>` (relative to the
 * working directory or absolute; missing folders are created), `sqlite::memory:`,
 * or `postgres://…` / `postgresql://…`. The caller owns the instance and destroys it.
 * @throws ConfigError for any other form; the message never repeats the URL.
 */
export function createKnexFromUrl(url: string, options: KnexFromUrlOptions = {}): Knex {
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 2_000;
  if (url.startsWith('sqlite:')) return createSqliteKnex(sqliteFilename(url.slice('sqlite:'.length)), acquireTimeoutMs);
  if (/^postgres(ql)?:\/\//i.test(url)) {
    assertParsable(url);
    return createPostgresKnex(url, options.pool ?? {}, acquireTimeoutMs);
  }
  throw new ConfigError(INVALID_URL_MESSAGE);
}

function assertParsable(url: string): void {
  try {
    new URL(url);
  } catch {
    // No `cause`: the parser's error carries the URL, password included.
    throw new ConfigError(INVALID_URL_MESSAGE);
  }
}

/** `sqlite:data/app.db`, `sqlite:/var/lib/app.db`, `sqlite:///var/lib/app.db` or `sqlite::memory:`. */
function sqliteFilename(location: string): string {
  const path = location.startsWith('//') ? location.slice(2) : location;
  if (path === '') throw new ConfigError(INVALID_URL_MESSAGE);
  if (path === ':memory:') return path;
  const filename = resolve(path);
  try {
    mkdirSync(dirname(filename), { recursive: true });
  } catch (error) {
    throw new ConfigError('The folder of the SQLite database file cannot be created.', { cause: error });
  }
  return filename;
}

type SqliteConnection = { exec(sql: string, callback: (error: Error | null) => void): void };

function createSqliteKnex(filename: string, acquireTimeoutMs: number): Knex {
  return knexFactory({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    acquireConnectionTimeout: acquireTimeoutMs,
    // Error messages then show the SQL with placeholders, not the values.
    compileSqlOnError: false,
    pool: {
      min: 1,
      max: 1,
      // WAL lets readers in other processes work during a write; busy_timeout makes
      // a writer wait for another process's lock instead of failing at once.
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) {
        connection.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS};`, (error) =>
          done(error, connection),
        );
      },
    },
  });
}

function createPostgresKnex(url: string, pool: { min?: number; max?: number }, acquireTimeoutMs: number): Knex {
  return knexFactory({
    client: 'pg',
    // knex's pg client attaches an 'error' handler to every pooled client and drops
    // the client when it fires, so a server restart cannot crash the process.
    connection: { connectionString: url, connectionTimeoutMillis: acquireTimeoutMs, keepAlive: true },
    pool: { min: pool.min ?? 0, max: pool.max ?? 10 },
    acquireConnectionTimeout: acquireTimeoutMs,
    compileSqlOnError: false,
  });
}
