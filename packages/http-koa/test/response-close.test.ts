import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseClose } from '../src/response-close.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A server whose handler is `handle`; resolves with its URL. */
async function serve(handle: (res: ServerResponse, req: IncomingMessage) => void): Promise<string> {
  const server = createServer((req, res) => handle(res, req));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('ResponseClose', () => {
  it('add - runs every callback once the response closes, in the order added, on one close listener', async () => {
    const ran: string[] = [];
    const listenersAdded: number[] = [];
    let closed!: () => void;
    const allRan = new Promise<void>((resolve) => (closed = resolve));
    const url = await serve((res, req) => {
      const before = res.listenerCount('close');
      const connectionBefore = req.socket.listenerCount('close');
      const closing = new ResponseClose(res, req);
      closing.add(() => ran.push('first'));
      closing.add(() => ran.push('second'));
      closing.add(() => {
        ran.push('third');
        closed();
      });
      listenersAdded.push(res.listenerCount('close') - before, req.socket.listenerCount('close') - connectionBefore);
      expect(ran).toEqual([]);
      res.end('done');
    });
    expect(await (await fetch(url)).text()).toBe('done');
    await allRan;
    expect(ran).toEqual(['first', 'second', 'third']);
    // A response with its socket listens on itself only.
    expect(listenersAdded).toEqual([1, 0]);
  });

  it('add - runs the callback at once when the response has closed already', async () => {
    const ran: string[] = [];
    let checked!: () => void;
    const done = new Promise<void>((resolve) => (checked = resolve));
    const url = await serve((res, req) => {
      const closing = new ResponseClose(res, req);
      res.end('done');
      res.once('close', () => {
        closing.add(() => ran.push('late'));
        expect(ran).toEqual(['late']);
        checked();
      });
    });
    await (await fetch(url)).text();
    await done;
    expect(ran).toEqual(['late']);
  });

  it('add - runs the callbacks of a response queued behind another when the client closes the connection, which Node gives no close of its own', async () => {
    const ran: string[] = [];
    const closings: ResponseClose[] = [];
    let queued!: () => void;
    const bothHandled = new Promise<void>((resolve) => (queued = resolve));
    const url = await serve((res, req) => {
      const closing = new ResponseClose(res, req);
      closing.add(() => ran.push(`callback of ${req.url}`));
      closings.push(closing);
      req.resume();
      // The first answer is never finished, so the second waits behind it.
      res.writeHead(200);
      res.write('started');
      if (closings.length === 2) queued();
    });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    await bothHandled;
    expect(ran).toEqual([]);
    socket.destroy();
    await expect.poll(() => ran.slice().sort()).toEqual(['callback of /first', 'callback of /second']);
    // Once run, a callback added later runs at once.
    closings[1]!.add(() => ran.push('late'));
    expect(ran.at(-1)).toBe('late');
  });
});
