import { createCommitGate, type CommitHold } from '@llm-settings/contract-tests';
import type { Knex } from 'knex';

/** A write sent outside a transaction: the store's lone statements, each its own commit. */
const LONE_WRITE = /^\s*(?:WITH|INSERT|UPDATE|DELETE)\b/i;

/**
 * The contract's `holdNextCommit` for stores on `knex`, without a seam in the store: the
 * driver connections the pool hands out are wrapped (node-postgres `query`, sqlite3 `all`
 * and `run`), and the next statement that makes a write durable, a COMMIT or a write sent
 * outside a transaction, waits until the hold is released.
 */
export function commitHoldsOn(knex: Knex): () => CommitHold {
  const gate = createCommitGate();
  const wrapped = new WeakSet<object>();
  const inTransaction = new WeakSet<object>();
  const wrap = (connection: Record<string, unknown>) => {
    if (wrapped.has(connection)) return;
    wrapped.add(connection);
    for (const method of ['query', 'all', 'run']) {
      const original = connection[method];
      if (typeof original !== 'function') continue;
      connection[method] = function (this: unknown, ...args: unknown[]) {
        const [first] = args;
        const sql = typeof first === 'string' ? first : typeof (first as { text?: unknown })?.text === 'string' ? (first as { text: string }).text : '';
        if (/^\s*BEGIN\b/i.test(sql)) inTransaction.add(connection);
        const durable = /^\s*COMMIT\b/i.test(sql) || (!inTransaction.has(connection) && LONE_WRITE.test(sql));
        if (/^\s*(?:COMMIT|ROLLBACK)\b/i.test(sql)) inTransaction.delete(connection);
        const held = durable ? gate.pass() : undefined;
        if (held === undefined) return original.apply(this, args);
        // knex passes a callback and ignores what the driver returns.
        void held.then(() => original.apply(this, args));
        return undefined;
      };
    }
  };
  (knex.client as { pool: { on(event: 'acquireSuccess', handler: (id: number, connection: Record<string, unknown>) => void): void } }).pool.on(
    'acquireSuccess',
    (_id, connection) => wrap(connection),
  );
  return () => gate.holdNext();
}
