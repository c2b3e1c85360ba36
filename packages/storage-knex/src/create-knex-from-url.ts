import { resolve } from 'node:path';
import { ConfigError, silentLogger, type Logger } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';
import { SQLITE_WRITE_WAIT_MS } from './defaults.js';
import { withConnectionFacts, type KnexFromUrl } from './knex-connection-facts.js';
import { knexLogHooks } from './knex-log.js';
import { createPrivateSqliteFile } from './private-sqlite-file.js';
import { statementDeadlineHooks, type PooledPgClient } from './postgres-statement-deadline.js';
import { createSqliteFileGuard } from './sqlite-file-guard.js';


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
   * A refused connection fails at once, without waiting for this.
   * @default PostgreSQL 1500 (so a request can answer 503 within 2 s); SQLite 5000,
   *   as long as a write waits for another process's lock: its one connection is
   *   waited for by this process's own queries only, a queue that lengthens with load.
   */
  acquireTimeoutMs?: number;
  /**
   * PostgreSQL: how long, in milliseconds, a statement may go unanswered (node-postgres's
   * `query_timeout`), for every statement sent through this knex: the stores', the BEGIN,
   * COMMIT and ROLLBACK knex sends around their transactions, migrations. Past it the
   * statement fails (the stores report StorageUnavailableError) and its connection is closed
   * at once and never handed out again, so what waits behind it goes on a fresh connection.
   * A connection that a NAT or firewall forgot, or whose host failed over, raises no error:
   * without a deadline a statement on it waits until the kernel gives up (minutes to hours),
   * with every statement queued behind it, and `destroy()` waits for it too. A statement past
   * its deadline may still have committed (the COMMIT was sent, its answer never came).
   * The deadline is the client's alone: on a server that is alive, a statement that waits
   * longer (on a lock held by an operator's ALTER TABLE or VACUUM FULL) fails here but goes
   * on waiting there, its session still open while the pool opens a new one, so sessions
   * pile up until the lock goes; and a usage flush whose COMMIT ran past it but committed
   * is written again. Hence off by default: set it where silent connections are the
   * likelier fault (NAT gateways, failovers), above the longest lock wait expected.
   * @default null: no deadline
   */
  statementTimeoutMs?: number | null;
  /**
   * Receives knex's own warnings, errors, deprecations and debug output (such as
   * "Connection Error: Connection terminated unexpectedly"), one short line each,
   * without stack traces, with the URL and its password redacted.
   * @default silentLogger (knex's default would print stack traces to the console)
   */
  logger?: Logger;
}

const INVALID_URL_MESSAGE =
  'The database URL is not supported. Use sqlite:<file path>, sqlite::memory:, or postgres://user:password@host:port/database.';

/**
 * Creates a knex instance from a DATABASE_URL: `sqlite:<path>` (relative to the
 * working directory or absolute; a missing file and folders are created, private to
 * this user), `sqlite::memory:`, or `postgres://…` / `postgresql://…`. The caller
 * owns the instance and destroys it; its `connectionFacts` tell `createKnexSettingsStore`
 * how to reach the database again and look after the pool. knex loads the URL's driver only, `sqlite3` or `pg`
 * (optional peer dependencies).
 * @throws ConfigError for any other form (the message never repeats the URL), when the
 *   SQLite file or its folder cannot be created, or when the driver is not installed
 *   (naming the package to install) or does not load.
 */
export function createKnexFromUrl(url: string, options: KnexFromUrlOptions = {}): KnexFromUrl {
  const logger = options.logger ?? silentLogger;
  if (url.startsWith('sqlite:')) {
    const filename = sqliteFilename(url.slice('sqlite:'.length));
    const knex = withDriver(SQLITE_DRIVER, () => createSqliteKnex(filename, options.acquireTimeoutMs ?? SQLITE_WRITE_WAIT_MS, withoutDriverFailure(knexLogHooks(logger, [url]))));
    // Only once the driver loaded: a missing one leaves no empty database file behind.
    if (filename === ':memory:') return knex;
    try {
      createPrivateSqliteFile(filename);
    } catch (error) {
      void knex.destroy();
      throw error;
    }
    return knex;
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const log = knexLogHooks(logger, [url, ...passwordForms(parse(url))]);
    const timeouts = {
      acquireMs: options.acquireTimeoutMs ?? 1_500,
      statementMs: options.statementTimeoutMs ?? null,
    };
    return withDriver(POSTGRES_DRIVER, () => createPostgresKnex(url, options.pool ?? {}, timeouts, withoutDriverFailure(log)));
  }
  throw new ConfigError(INVALID_URL_MESSAGE);
}

/** A database driver: an optional peer dependency, which knex loads by name when a knex is made. */
interface Driver {
  readonly packageName: string;
  readonly database: string;
  /** How to repair a package that is installed but does not load. */
  readonly repair: string;
}

const SQLITE_DRIVER: Driver = {
  packageName: 'sqlite3',
  database: 'SQLite',
  // A native module: most often built for another Node.js version, or its build failed.
  repair: 'run `npm rebuild sqlite3`, which compiles it where no prebuilt binary fits (python3, make and a C++ compiler; offline, set npm_config_nodedir to the folder holding include/node)',
};
const POSTGRES_DRIVER: Driver = { packageName: 'pg', database: 'PostgreSQL', repair: 'run `npm install pg`' };

/** How knex's message starts when it cannot load the driver. */
const KNEX_DRIVER_FAILURE = 'Knex: run\n$ npm install';

/** knex logs its failure to load the driver, then throws it: withDriver reports it, as a clearer ConfigError. */
function withoutDriverFailure(log: Knex.Logger): Knex.Logger {
  return {
    ...log,
    error(message: unknown) {
      if (!(typeof message === 'string' && message.startsWith(KNEX_DRIVER_FAILURE))) log.error?.(message);
    },
  };
}

/**
 * Makes the knex, turning knex's failure to load the driver (its message starts with
 * "Knex: run $ npm install <driver>") into a ConfigError that names the package to
 * install: the drivers are optional peers, so an application installs only the one it uses.
 */
function withDriver(driver: Driver, create: () => KnexFromUrl): KnexFromUrl {
  try {
    return create();
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (!message.startsWith(KNEX_DRIVER_FAILURE)) throw error;
    const { packageName, database } = driver;
    if (message.includes(`Cannot find module '${packageName}'`)) {
      throw new ConfigError(
        `${database} needs the ${packageName} package, which is not installed: run \`npm install ${packageName}\` in your application (an optional peer dependency of @llm-settings/storage-knex).`,
        { cause: error },
      );
    }
    throw new ConfigError(`The ${packageName} package is installed but does not load: ${driver.repair}.`, { cause: error });
  }
}

function parse(url: string): URL {
  try {
    return new URL(url);
  } catch {
    // No `cause`: the parser's error carries the URL, password included.
    throw new ConfigError(INVALID_URL_MESSAGE);
  }
}

/** The password as written in the URL and as the driver sends it. */
function passwordForms(url: URL): string[] {
  if (url.password === '') return [];
  try {
    return [url.password, decodeURIComponent(url.password)];
  } catch {
    return [url.password];
  }
}

/** `sqlite:data/app.db`, `sqlite:/var/lib/app.db`, `sqlite:///var/lib/app.db` or `sqlite::memory:`. */
function sqliteFilename(location: string): string {
  const path = location.startsWith('//') ? location.slice(2) : location;
  if (path === '') throw new ConfigError(INVALID_URL_MESSAGE);
  return path === ':memory:' ? path : resolve(path);
}

type SqliteConnection = { exec(sql: string, callback: (error: Error | null) => void): void };

function createSqliteKnex(filename: string, acquireTimeoutMs: number, log: Knex.Logger): KnexFromUrl {
  const connections = replaceableConnections();
  const databaseFile = filename === ':memory:' ? undefined : createSqliteFileGuard(filename);
  const knex = knexFactory({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    acquireConnectionTimeout: acquireTimeoutMs,
    log,
    // Error messages then show the SQL with placeholders, not the values.
    compileSqlOnError: false,
    pool: {
      min: 1,
      max: 1,
      // WAL lets readers in other processes work during a write; busy_timeout makes
      // a writer wait for another process's lock instead of failing at once.
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) {
        connection.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${SQLITE_WRITE_WAIT_MS};`, (error) => {
          if (!error) {
            connections.opened(connection);
            databaseFile?.opened();
          }
          done(error, connection);
        });
      },
      validate: connections.isCurrent,
    },
  });
  return withConnectionFacts(knex, { replaceConnections: connections.replaceAll, ...(databaseFile ? { databaseFile } : {}) });
}

/**
 * Pool hooks through which the store has every connection opened so far replaced at
 * its next use. SQLite opens a file it cannot write (immutable, read-only mount)
 * read-only, and that connection stays read-only after the file is writable again.
 */
function replaceableConnections() {
  let generation = 0;
  const openedIn = new WeakMap<object, number>();
  return {
    opened: (connection: object) => void openedIn.set(connection, generation),
    isCurrent: (connection: object) => openedIn.get(connection) === generation,
    replaceAll: () => void (generation += 1),
  };
}

function createPostgresKnex(
  url: string,
  pool: { min?: number; max?: number },
  timeouts: { acquireMs: number; statementMs: number | null },
  log: Knex.Logger,
): KnexFromUrl {
  // knex's pg client attaches an 'error' handler to every pooled client and drops
  // the client when it fires, so a server restart cannot crash the process.
  const connection = { connectionString: url, connectionTimeoutMillis: timeouts.acquireMs, keepAlive: true };
  /** Connections the pool must not hand out again, though their socket may not have closed yet. */
  const retired = new WeakSet<object>();
  const { statementMs } = timeouts;
  const deadline = statementMs === null ? undefined : statementDeadlineHooks(retired);
  const knex = knexFactory({
    client: 'pg',
    connection: statementMs === null ? connection : { ...connection, query_timeout: statementMs },
    pool: {
      min: pool.min ?? 0,
      max: pool.max ?? 10,
      // knex's default, spelled out: a refused connection rejects the waiting query at
      // once instead of being retried until the acquire timeout.
      propagateCreateError: true,
      afterCreate(client: PgClient, done: (error: Error | null, client: PgClient) => void) {
        noteWhenSessionEnds(client, retired);
        deadline?.opened(client);
        done(null, client);
      },
      validate: (client: PgClient) => !retired.has(client),
    },
    acquireConnectionTimeout: timeouts.acquireMs,
    compileSqlOnError: false,
    log,
  });
  if (deadline) knex.on('query-error', deadline.failed);
  // The change feed's LISTEN connection reaches the database the way the pool does.
  return withConnectionFacts(knex, { postgresClientConfig: { ...connection } });
}

/** SQLSTATEs of a session the server ends: admin_shutdown, crash_shutdown, cannot_connect_now, and class 08. */
const SESSION_ENDED_CODE = /^(57P0[123]|08[0-9A-Z]{3})$/;

type PgClient = PooledPgClient & {
  connection?: { on(event: 'errorMessage', listener: (message: { severity?: string; code?: string }) => void): void };
};

/**
 * The server ends a session (shutdown, pg_terminate_backend) with a FATAL error before
 * it closes the socket. A query that receives it leaves the client looking usable until
 * the close arrives, and knex could hand it to the next query meanwhile. Noting it at the
 * FATAL makes the pool's `validate` refuse it, so the pool opens a fresh connection instead.
 */
function noteWhenSessionEnds(client: PgClient, retired: WeakSet<object>): void {
  client.connection?.on('errorMessage', (message) => {
    const fatal = message.severity === 'FATAL' || message.severity === 'PANIC';
    if (fatal || SESSION_ENDED_CODE.test(message.code ?? '')) retired.add(client);
  });
}
