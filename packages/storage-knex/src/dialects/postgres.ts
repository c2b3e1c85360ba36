import type { Knex } from 'knex';
import type { ChangeSubscription, Dialect, RemoteChangeHandlers, Row, SqlRunner } from './dialect.js';
import { errorChain, hasErrorCode, isKnexPoolFailure, isMissingTable, MIGRATIONS_NOT_RUN, NETWORK_ERROR_CODES } from './driver-errors.js';
import { listenForNotifications } from './postgres-listener.js';

/** SQLSTATE classes: 08 connection exception, 53 insufficient resources (disk full, too many connections), 58 system error. */
const UNAVAILABLE_SQLSTATE_CLASS = /^(08|53|58)[0-9A-Z]{3}$/;

const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: the backend was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '57014', // query_canceled, e.g. by statement_timeout
  '25006', // read_only_sql_transaction: a read-only replica or default_transaction_read_only
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
  '3D000', // invalid_catalog_name: the database does not exist
]);

/**
 * node-postgres failures that carry no code, recognised by their fixed messages; and the
 * server's 55000 at login for a database that takes no connections (ALLOW_CONNECTIONS false,
 * a template), a code too broad to take alone.
 */
const PG_CONNECTION_MESSAGE =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout expired|Query read timeout|is not currently accepting connections/;

/** node-postgres's refusal when the URL asks for TLS (sslmode) and the server has none. */
const NO_SERVER_TLS_MESSAGE = 'The server does not support SSL connections';

/**
 * The server's login refusals, by SQLSTATE, and for 28000 by its fixed message (the part
 * before any quoted name): what is wrong, never which user, database or password.
 */
function loginRefusal(code: string, message: string): string | undefined {
  switch (code) {
    case '28P01':
      return 'PostgreSQL refused the login: password authentication failed for the user in the database URL. Correct the user or password.';
    case '3D000':
      return 'PostgreSQL refused the login: the database named in the database URL does not exist. Create it, or correct the URL.';
    case '28000':
      if (/^role ".*" does not exist$/s.test(message)) {
        return 'PostgreSQL refused the login: the user in the database URL does not exist. Create the role, or correct the URL.';
      }
      // pg_hba.conf has hostssl/hostgssenc lines only for this client: PostgreSQL 14+ ends
      // with "no encryption", earlier versions with "SSL off".
      if (/^no pg_hba\.conf entry .*(no encryption|SSL off)$/s.test(message)) {
        return 'PostgreSQL refused the login: the server requires TLS. Add sslmode=verify-full (or sslmode=require) to the database URL.';
      }
      return 'PostgreSQL refused the login: no pg_hba.conf entry allows this user, database and client address.';
    default:
      return undefined;
  }
}

function unavailableReason(error: unknown): string | undefined {
  if (isMissingTable(error)) return MIGRATIONS_NOT_RUN;
  for (const link of errorChain(error)) {
    if (link.message === NO_SERVER_TLS_MESSAGE) {
      return 'PostgreSQL does not accept TLS connections, which the database URL asks for (sslmode). Enable TLS on the server, or remove sslmode from the URL.';
    }
    const reason = typeof link.code === 'string' ? loginRefusal(link.code, String(link.message ?? '')) : undefined;
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function isUnavailable(error: unknown): boolean {
  if (hasErrorCode(error, NETWORK_ERROR_CODES) || hasErrorCode(error, UNAVAILABLE_SQLSTATES) || isKnexPoolFailure(error) || isMissingTable(error)) {
    return true;
  }
  for (const link of errorChain(error)) {
    if (typeof link.code === 'string' && UNAVAILABLE_SQLSTATE_CLASS.test(link.code)) return true;
    if (typeof link.message === 'string' && (PG_CONNECTION_MESSAGE.test(link.message) || link.message === NO_SERVER_TLS_MESSAGE)) return true;
  }
  return false;
}

/** knex's pg client answers a raw statement with the driver's result object. */
function rowsOf(result: unknown): Row[] {
  return (result as { rows?: Row[] }).rows ?? [];
}

/** NOTIFY payload: the writer's instance id and the key, never the value. */
interface ChangePayload {
  i: string;
  k: string;
}

function parsePayload(payload: string): ChangePayload | undefined {
  try {
    const parsed = JSON.parse(payload) as Partial<ChangePayload>;
    return typeof parsed.i === 'string' && typeof parsed.k === 'string' ? { i: parsed.i, k: parsed.k } : undefined;
  } catch {
    return undefined;
  }
}

export interface PostgresDialectOptions {
  /** LISTEN/NOTIFY channel shared by every store over the same table. */
  channel: string;
  /** Identifies this store's own notifications, which it ignores. */
  instanceId: string;
  /** node-postgres `Client` settings or URL of the LISTEN connection; undefined: no feed. */
  listenConnection?: string | object | undefined;
}

/**
 * PostgreSQL: every write is one atomic statement (upsert or compare-and-set
 * UPDATE). A statement that stands alone runs in autocommit with its NOTIFYs in
 * the same statement; several (`setMany`, a batch of sets that writes a key more
 * than once) share a READ COMMITTED transaction that also carries the NOTIFYs.
 * Either way NOTIFY is delivered at commit, so other processes hear only of
 * committed writes.
 */
export function createPostgresDialect(options: PostgresDialectOptions): Dialect {
  const dialect: Dialect = {
    async query(knex, sql, bindings = []) {
      return rowsOf(await knex.raw(sql, [...bindings]));
    },

    async writeAlone(knex, sql, bindings) {
      // One round trip: the write and a NOTIFY per written row in one statement, which is its
      // own transaction. No row back (a failed version check) means no NOTIFY.
      const statement =
        `WITH written AS (${sql}) ` +
        `SELECT written.*, pg_notify(?, json_build_object('i', ?::text, 'k', written."key")::text) FROM written`;
      return rowsOf(await knex.raw(statement, [...bindings, options.channel, options.instanceId]));
    },

    writeTransaction<T>(knex: Knex, work: (run: SqlRunner) => Promise<T>): Promise<T> {
      return knex.transaction((trx) => work(async (sql, bindings = []) => rowsOf(await trx.raw(sql, [...bindings]))));
    },

    // The database's default collation may sort by locale rules; "C" sorts by code point.
    orderedKey: '"key" COLLATE "C"',

    toTimestamp: (date) => date,
    fromTimestamp: (raw) => (raw instanceof Date ? raw : new Date(raw as string)),

    isUnavailable,
    unavailableReason,

    async publishChanges(run, keys) {
      const payloads = keys.map((key) => JSON.stringify({ i: options.instanceId, k: key } satisfies ChangePayload));
      await run('SELECT pg_notify(?, payload) FROM unnest(?::text[]) AS payload', [options.channel, payloads]);
    },
  };
  const { listenConnection } = options;
  if (listenConnection !== undefined) {
    dialect.subscribeToChanges = (_knex, handlers) =>
      listenForNotifications({
        clientConfig: listenConnection,
        channel: options.channel,
        onPayload(payload) {
          const change = parsePayload(payload);
          if (change && change.i !== options.instanceId) handlers.onRemoteChange(change.k);
        },
        onInterrupted: handlers.onInterrupted,
        onResumed: handlers.onResumed,
        onStarted: handlers.onStarted,
      });
  }
  return dialect;
}
