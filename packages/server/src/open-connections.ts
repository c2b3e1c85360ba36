import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The connections a server has open. */
export interface OpenConnections {
  /**
   * Resolves once every connection open now has closed, after the 'close' of the answer it
   * carried: Node emits a server's 'close' before the 'close' of the sockets it cut, and an
   * answer's own 'close' comes from its socket's.
   */
  allClosed(): Promise<void>;
}

/** Tracks `server`'s connections from now on: one entry a connection, not a request. */
export function trackConnections(server: Server): OpenConnections {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    // A listener added now runs after the answer's, which was added when it was assigned the socket.
    allClosed: () => Promise.all([...open].map((socket) => new Promise((resolve) => socket.once('close', resolve)))).then(() => undefined),
  };
}
