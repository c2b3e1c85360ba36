import type { Client, ClientConfig, Notification } from 'pg';
import type { ChangeSubscription } from './dialect.js';

/** Reconnect delays double from the first to the last value. */
const FIRST_RETRY_DELAY_MS = 100;
const LAST_RETRY_DELAY_MS = 5_000;
const DEFAULT_LIVENESS_INTERVAL_MS = 2_000;
const DEFAULT_LIVENESS_TIMEOUT_MS = 2_000;
/**
 * Idle time before the kernel's first keepalive probe (its default is two hours). A backstop
 * only: the liveness check keeps the connection busier than this, and finds it dead sooner.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

export interface NotificationListenerOptions {
  /** node-postgres `Client` settings, or a connection URL, reaching the store's database. */
  clientConfig: string | object;
  channel: string;
  onPayload(payload: string): void;
  /** Called once when the connection fails or drops, or the first connect fails: notifications go unheard from now on. */
  onInterrupted(): void;
  /** Called once LISTENing again after an interruption (not after a first connect that worked): notifications sent meanwhile were lost. */
  onResumed(): void;
  /** Called once the first LISTEN is up, when it worked at the first try: notifications sent while it was on its way went unheard. */
  onStarted(): void;
  /**
   * Pause, in milliseconds, between two checks that the LISTEN connection answers (each one
   * statement). A connection that a NAT or firewall forgot, or whose host failed over,
   * raises no error: it just stays silent.
   * @default 2000
   */
  livenessIntervalMs?: number;
  /**
   * How long, in milliseconds, the LISTEN or a check may go unanswered before the connection
   * counts as dead: it is then destroyed, reported interrupted and reconnected.
   * @default 2000
   */
  livenessTimeoutMs?: number;
}

/**
 * node-postgres, imported when first needed: pg is an optional peer dependency, which
 * a process using SQLite only need not install.
 */
let pgModule: Promise<typeof import('pg')> | undefined;
async function newPgClient(config: string | object): Promise<Client> {
  pgModule ??= import('pg');
  const { default: pg } = await pgModule;
  const settings = typeof config === 'string' ? { connectionString: config } : (config as ClientConfig);
  // The caller's own keepalive settings win.
  return new pg.Client({ keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS, ...settings });
}

/**
 * Ends `client`, destroying its socket when the goodbye goes unanswered for `ms`: on a
 * silent connection, the end would wait for the server's close for good.
 */
async function endWithin(client: Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const ended = client.end().then(
    () => true,
    () => true,
  );
  if (!(await Promise.race([ended, late]))) client.connection.stream.destroy();
  clearTimeout(timer);
  await ended;
}

/**
 * LISTENs on `channel` with one dedicated connection outside the knex pool (a
 * pooled connection would be handed to queries or reaped when idle). When that
 * connection fails or drops, or stops answering (see `livenessIntervalMs`), it reports
 * the interruption at once and reconnects with exponential backoff; failures are never
 * thrown, since nobody awaits this background work.
 */
export function listenForNotifications(options: NotificationListenerOptions): ChangeSubscription {
  const livenessIntervalMs = options.livenessIntervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS;
  const livenessTimeoutMs = options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS;
  let closed = false;
  let current: Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;
  /** Between an interruption and the next successful LISTEN. */
  let interrupted = false;
  /** Once a LISTEN has worked. */
  let started = false;

  /** Reports the interruption once, then retries later. */
  const retryLater = () => {
    if (closed) return;
    if (!interrupted) {
      interrupted = true;
      options.onInterrupted();
    }
    const delay = Math.min(LAST_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** failedAttempts);
    failedAttempts += 1;
    retryTimer = setTimeout(() => void connect(), delay);
    // The listener alone must not keep the process alive.
    retryTimer.unref();
  };

  const connect = async () => {
    retryTimer = undefined;
    if (closed) return;
    let client: Client;
    try {
      client = await newPgClient(options.clientConfig);
    } catch {
      retryLater();
      return;
    }
    if (closed) return;
    current = client;
    let dropped = false;
    /** The next liveness check, or the deadline of the statement in flight. */
    let livenessTimer: NodeJS.Timeout | undefined;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      clearTimeout(livenessTimer);
      if (current === client) current = undefined;
      // With a statement in flight (a missed deadline), end() destroys the socket at once.
      client.end().catch(() => undefined);
      retryLater();
    };
    /** Runs `sql`, dropping the connection when it goes unanswered past the deadline. */
    const askWithin = async (sql: string) => {
      livenessTimer = setTimeout(drop, livenessTimeoutMs);
      livenessTimer.unref();
      try {
        await client.query(sql);
      } finally {
        clearTimeout(livenessTimer);
      }
    };
    const listen = `LISTEN ${client.escapeIdentifier(options.channel)}`;
    // The check is the LISTEN again: a no-op for a session that listens, as cheap as a
    // SELECT 1, and pg_stat_activity keeps showing the session's statement as the LISTEN.
    const checkLater = () => {
      if (dropped || closed) return;
      livenessTimer = setTimeout(() => void askWithin(listen).then(checkLater, drop), livenessIntervalMs);
      livenessTimer.unref();
    };
    // Without an 'error' handler, a server restart would crash the process.
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message: Notification) => {
      if (message.channel === options.channel && message.payload !== undefined) options.onPayload(message.payload);
    });
    try {
      await client.connect();
      await askWithin(listen);
    } catch {
      drop();
      return;
    }
    if (dropped || closed) return;
    checkLater();
    failedAttempts = 0;
    if (interrupted) {
      interrupted = false;
      options.onResumed();
    } else if (!started) {
      options.onStarted();
    }
    started = true;
  };

  void connect();

  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const client = current;
      current = undefined;
      if (client) await endWithin(client, livenessTimeoutMs);
    },
  };
}
