/** node-postgres's error for a statement unanswered past its `query_timeout`; knex puts the SQL before it. */
const PAST_DEADLINE = /Query read timeout$/;

/** A pooled node-postgres client, as far as the deadline needs it. */
export interface PooledPgClient {
  /** knex's id of the connection, which its `query-error` events carry. */
  readonly __knexUid?: string;
  end(): Promise<void>;
  once(event: 'end', listener: () => void): unknown;
}

/** The connection a failed statement ran on, as knex's `query-error` event describes it. */
interface FailedQuery {
  readonly __knexUid?: string;
}

/**
 * node-postgres fails a statement unanswered past `query_timeout` (a connection a NAT or
 * firewall forgot, a host that failed over) but leaves it in flight on its connection,
 * which knex then returns to the pool: every later statement on that connection would wait
 * behind one that never ends. These hooks end the connection as soon as a statement on it
 * misses its deadline (with a statement in flight, `end()` destroys the socket), so that
 * whatever waits on it (a ROLLBACK) fails at once, and put it in `retired`, for the pool's
 * `validate` to refuse: knex hears of the close only a turn of the event loop later.
 */
export function statementDeadlineHooks(retired: WeakSet<object>) {
  const open = new Map<string, PooledPgClient>();
  return {
    /** For the pool's `afterCreate`: knows `client` by its id until it ends. */
    opened(client: PooledPgClient): void {
      const id = client.__knexUid;
      if (id === undefined) return;
      open.set(id, client);
      client.once('end', () => open.delete(id));
    },
    /** For knex's `query-error` event. */
    failed(error: unknown, query: FailedQuery): void {
      if (!(error instanceof Error && PAST_DEADLINE.test(error.message))) return;
      const client = query.__knexUid === undefined ? undefined : open.get(query.__knexUid);
      if (!client) return;
      retired.add(client);
      client.end().catch(() => undefined);
    },
  };
}
