import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { drainingResponses, type DrainingResponses } from '../src/draining-responses.js';

/** One keep-alive connection, sending requests by hand and reading raw answers. */
class RawConnection {
  private received = '';
  private ended = false;
  private readonly socket: Socket;
  private readonly waiters = new Set<() => void>();

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => this.changed(() => (this.received += chunk)));
    this.socket.on('end', () => this.changed(() => (this.ended = true)));
  }

  send(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }

  /** The next whole answer (head and body), once it has arrived. */
  async answer(): Promise<string> {
    await this.until(() => ANSWER.test(this.received));
    const [whole] = ANSWER.exec(this.received)!;
    this.received = this.received.slice(whole.length);
    return whole;
  }

  /** Resolves once the server has ended the connection. */
  closedByServer(): Promise<void> {
    return this.until(() => this.ended);
  }

  close(): void {
    this.socket.destroy();
  }

  private changed(update: () => void): void {
    update();
    for (const waiter of this.waiters) waiter();
  }

  private until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** A head and the body `ok` that every answer below sends, whole or as chunks. */
const ANSWER = /^HTTP\/1\.1 [^]*?\r\n\r\n(?:ok|2\r\nok\r\n0\r\n\r\n)/;

function connectionHeader(answer: string): string | undefined {
  return /\r\nConnection: ([^\r]*)\r\n/i.exec(answer)?.[1];
}

describe('drainingResponses', () => {
  let server: Server | undefined;
  const connections: RawConnection[] = [];

  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.close();
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    closing.closeAllConnections();
    await new Promise((resolve) => closing.close(resolve));
  });

  /** A server answering `ok`: `/slow` once `release` is called, `/streamed` with its head at once and its body on release. */
  async function serve(): Promise<{ responses: DrainingResponses; port: number; release: () => void; started: Promise<void> }> {
    const responses = drainingResponses();
    let release = () => {};
    let started = () => {};
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    server = createServer({ ServerResponse: responses.ServerResponse }, (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/streamed') res.flushHeaders();
      if (req.url === '/fast') return res.end('ok');
      started();
      void released.then(() => res.end('ok'));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { responses, port: (server.address() as AddressInfo).port, release, started: startedPromise };
  }

  function open(port: number): RawConnection {
    const connection = new RawConnection(port);
    connections.push(connection);
    return connection;
  }

  it('answers - keep their connection alive while the server is not draining', async () => {
    const { port } = await serve();
    const connection = open(port);
    connection.send('/fast');
    expect(connectionHeader(await connection.answer())).toBe('keep-alive');
    connection.send('/fast');
    expect(connectionHeader(await connection.answer())).toBe('keep-alive');
  });

  it('drain - an answer in progress closes its connection once sent', async () => {
    const { port, responses, release, started } = await serve();
    const connection = open(port);
    connection.send('/slow');
    await started;
    responses.drain();
    release();
    expect(connectionHeader(await connection.answer())).toBe('close');
    await connection.closedByServer();
  });

  it('drain - the next request on a kept-alive connection is answered, then its connection closes', async () => {
    const { port, responses } = await serve();
    const connection = open(port);
    connection.send('/fast');
    expect(connectionHeader(await connection.answer())).toBe('keep-alive');
    responses.drain();
    connection.send('/fast');
    expect(connectionHeader(await connection.answer())).toBe('close');
    await connection.closedByServer();
  });

  it('drain - leaves an answer whose head was already written as it was, and the server keeps serving it', async () => {
    const { port, responses, release, started } = await serve();
    const connection = open(port);
    connection.send('/streamed');
    await started;
    responses.drain();
    release();
    expect(connectionHeader(await connection.answer())).toBe('keep-alive');
  });
});
