import { createServer, type Socket } from 'node:net';

/** SSLRequest's request code in the PostgreSQL protocol (version 3). */
const SSL_REQUEST = 80877103;

export interface RefusingPostgres {
  readonly port: number;
  /** The password messages clients sent, as received. */
  readonly passwords: string[];
  close(): Promise<void>;
}

export interface RefusalOptions {
  /** Ask for a cleartext password first, and refuse after it arrives, as a password login fails. */
  askPassword: boolean;
  /** SQLSTATE and message of the FATAL ErrorResponse, as PostgreSQL sends them. */
  code: string;
  message: string;
}

/**
 * The login half of a PostgreSQL server on 127.0.0.1 that refuses every login the way
 * the real one does, over the real wire protocol: for the refusals the shared test server
 * (trust authentication, no TLS) cannot give, such as a wrong password or a pg_hba.conf
 * that requires TLS. It declines TLS, reads the startup message, optionally asks for and
 * reads a password, then sends one FATAL ErrorResponse and closes.
 */
export async function startRefusingPostgres(options: RefusalOptions): Promise<RefusingPostgres> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let phase: 'startup' | 'password' = 'startup';
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        // Startup packets have no type byte; later messages do.
        const headerBytes = phase === 'startup' ? 0 : 1;
        if (buffered.length < headerBytes + 4) return;
        const length = buffered.readInt32BE(headerBytes);
        if (buffered.length < headerBytes + length) return;
        const message = buffered.subarray(0, headerBytes + length);
        buffered = buffered.subarray(headerBytes + length);
        if (phase === 'startup' && message.readInt32BE(4) === SSL_REQUEST) {
          socket.write('N');
        } else if (phase === 'startup' && options.askPassword) {
          phase = 'password';
          socket.write(authenticationCleartextPassword());
        } else {
          if (phase === 'password') passwords.push(message.subarray(5, message.length - 1).toString('utf8'));
          socket.end(fatalError(options.code, options.message));
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    passwords,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function authenticationCleartextPassword(): Buffer {
  const message = Buffer.alloc(9);
  message.write('R', 0);
  message.writeInt32BE(8, 1);
  message.writeInt32BE(3, 5);
  return message;
}

function fatalError(code: string, text: string): Buffer {
  const fields = Buffer.concat(
    [
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', code],
      ['M', text],
    ].map(([type, value]) => Buffer.from(`${type}${value}\0`, 'utf8')),
  );
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(4 + fields.length + 1, 1);
  return Buffer.concat([header, fields, Buffer.from([0])]);
}
