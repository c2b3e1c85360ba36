import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 that can stop accepting, so a test can make the
 * database unreachable for its own connections only (the cluster is shared).
 */
export interface TcpProxy {
  /** The port clients connect to; nothing listens on it until `start`. */
  readonly port: number;
  /** Accepts connections on `port` and forwards each to the target. */
  start(): Promise<void>;
  /** Stops accepting: new connections are refused. Forwarded ones stay open. */
  stop(): void;
  /**
   * Until `releaseCloses`, a connection the server closes stays open towards the
   * client: everything the server sent arrives, the close does not.
   */
  holdCloses(): void;
  releaseCloses(): void;
  /**
   * Until `releaseOpens`, a new connection is accepted but not forwarded: the client
   * waits, as on a slow network or a busy server, with what it sent kept for the server.
   */
  holdOpens(): void;
  releaseOpens(): void;
  /** Sockets still open, both sides of each forwarded connection counted. */
  openSockets(): number;
  /**
   * Resolves once no forwarded connection is open, and the clients have had an
   * I/O turn to read the close that was forwarded to them.
   */
  drained(): Promise<void>;
  /** Stops accepting and cuts every forwarded connection. */
  close(): void;
}

/** A free port on 127.0.0.1, released again: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function createTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await closedPort();
  const sockets = new Set<Socket>();
  const drainWaiters: (() => void)[] = [];
  let server: Server | undefined;
  let holding = false;
  const held: Socket[] = [];
  let holdingOpens = false;
  const heldOpens: Socket[] = [];

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of drainWaiters.splice(0)) resolve();
    });
  };

  const accept = (client: Socket) => {
    track(client);
    if (holdingOpens) heldOpens.push(client);
    else forward(client);
  };

  const forward = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    // The server's close is passed on after its last bytes (such as a FATAL message), or held.
    upstream.pipe(client, { end: false });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => (holding ? held.push(client) : client.end()));
  };

  const nextIoTurn = () => new Promise((resolve) => setImmediate(resolve));

  const stop = () => {
    server?.close();
    server = undefined;
  };

  return {
    port,
    async start() {
      if (server) return;
      const listening = createServer(accept);
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
    },
    stop,
    holdCloses() {
      holding = true;
    },
    releaseCloses() {
      holding = false;
      for (const client of held.splice(0)) client.end();
    },
    holdOpens() {
      holdingOpens = true;
    },
    releaseOpens() {
      holdingOpens = false;
      for (const client of heldOpens.splice(0)) if (!client.destroyed) forward(client);
    },
    openSockets: () => sockets.size,
    async drained() {
      if (sockets.size > 0) await new Promise<void>((resolve) => drainWaiters.push(resolve));
      // Two check phases have a poll phase between them, in which the clients read the close.
      await nextIoTurn();
      await nextIoTurn();
    },
    close() {
      stop();
      for (const socket of sockets) socket.destroy();
    },
  };
}
