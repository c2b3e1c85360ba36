import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 whose connections can go silent without closing, as when a
 * NAT or firewall forgets them or their host fails over: the bytes either side sends are
 * dropped, and neither side hears of a close.
 */
export interface FreezingProxy {
  /** The port clients connect to. */
  readonly port: number;
  /** Connections forwarded so far, silent or not, whose client has not closed its side. */
  openConnections(): number;
  /** Connections accepted so far, closed ones included. */
  accepted(): number;
  /** Every connection forwarded so far goes silent for good; later ones are forwarded as usual. */
  freeze(): void;
  /** Silent connections whose client has not closed its side. */
  openSilentConnections(): number;
  /** Stops accepting and cuts every connection. */
  close(): Promise<void>;
}

interface Forwarded {
  readonly client: Socket;
  readonly upstream: Socket;
  silent: boolean;
}

export async function createFreezingProxy(target: { host: string; port: number }): Promise<FreezingProxy> {
  const forwarded = new Set<Forwarded>();
  let accepted = 0;
  /** Both sides of every connection, until closed: a silent one's server side stays open after its client left. */
  const sockets = new Set<Socket>();
  // Half-open allowed: a silent connection must not answer the client's goodbye either.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    accepted += 1;
    const upstream = connect(target.port, target.host);
    const connection: Forwarded = { client, upstream, silent: false };
    forwarded.add(connection);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (bytes) => connection.silent || upstream.write(bytes));
    upstream.on('data', (bytes) => connection.silent || client.write(bytes));
    // The client's goodbye: passed on, or on a silent connection heard by nobody.
    client.on('end', () => (connection.silent ? forwarded.delete(connection) : upstream.end()));
    client.on('close', () => {
      forwarded.delete(connection);
      if (!connection.silent) upstream.destroy();
    });
    upstream.on('close', () => connection.silent || client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    openConnections: () => forwarded.size,
    accepted: () => accepted,
    freeze() {
      for (const connection of forwarded) connection.silent = true;
    },
    openSilentConnections: () => [...forwarded].filter((connection) => connection.silent).length,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
