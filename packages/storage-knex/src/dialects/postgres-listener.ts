import type { Client, ClientConfig, Notification } from 'pg';
import type { ChangeSubscription } from './dialect.js';

/** Reconnect delays double from the first to the last value. */
const FIRST_RETRY_DELAY_MS = 100;
const LAST_RETRY_DELAY_MS = 5_000;

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
}

/**
 * node-postgres, imported when first needed: pg is an optional peer dependency, which
 * a process using SQLite only need not install.
 */
let pgModule: Promise<typeof import('pg')> | undefined;
async function newPgClient(config: string | object): Promise<Client> {
  pgModule ??= import('pg');
  const { default: pg } = await pgModule;
  return new pg.Client(config as string | ClientConfig);
}

/**
 * LISTENs on `channel` with one dedicated connection outside the knex pool (a
 * pooled connection would be handed to queries or reaped when idle). When that
 * connection fails or drops, it reports the interruption at once and reconnects
 * with exponential backoff; failures are never thrown, since nobody awaits this
 * background work.
 */
export function listenForNotifications(options: NotificationListenerOptions): ChangeSubscription {
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
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (current === client) current = undefined;
      client.end().catch(() => undefined);
      retryLater();
    };
    // Without an 'error' handler, a server restart would crash the process.
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message: Notification) => {
      if (message.channel === options.channel && message.payload !== undefined) options.onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(options.channel)}`);
    } catch {
      drop();
      return;
    }
    if (dropped || closed) return;
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
      await client?.end().catch(() => undefined);
    },
  };
}
