import type { TestDatabase } from '../../support/databases.js';
import { setImmutable } from './immutable.js';
import { sqliteFiles } from './stored.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** A way to take a running server's storage away and give it back. */
export interface StorageOutage {
  /** The DATABASE_URL the server must use for the outage to reach it. */
  readonly databaseUrl: string;
  /** What the outage does, for test names and reports. */
  readonly description: string;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** Ends the outage if it is on and releases what it holds. */
  close(): Promise<void>;
}

/**
 * PostgreSQL: the server reaches the database through a TCP relay that the outage cuts
 * (connections reset, new ones refused), like a network failure; the real cluster is
 * stopped only in the soak suite. SQLite: the database file and its WAL become immutable
 * (`chattr +i`), so writes through the server's open descriptors fail; the `-shm` file
 * stays writable because SQLite maps it into memory, and an immutable mapping would kill
 * any SQLite process with SIGBUS.
 */
export async function prepareOutage(database: TestDatabase): Promise<StorageOutage> {
  let on = false;
  if (database.kind === 'sqlite') {
    const { db, wal } = sqliteFiles(database);
    const setUnwritable = async (unwritable: boolean) => {
      setImmutable([db, wal], unwritable);
      on = unwritable;
    };
    return {
      databaseUrl: database.url,
      description: 'SQLite database and WAL made immutable',
      begin: () => setUnwritable(true),
      end: () => setUnwritable(false),
      close: async () => {
        if (on) await setUnwritable(false);
      },
    };
  }
  const target = new URL(database.url);
  const proxy: TcpProxy = await startTcpProxy(Number(target.port), target.hostname);
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  return {
    databaseUrl: viaProxy.toString(),
    description: 'PostgreSQL connections reset and refused',
    async begin() {
      await proxy.cut();
      on = true;
    },
    async end() {
      await proxy.restore();
      on = false;
    },
    async close() {
      await proxy.close();
    },
  };
}
