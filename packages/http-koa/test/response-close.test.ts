import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseClose } from '../src/response-close.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A server whose handler is `handle`; resolves with its URL. */
async function serve(handle: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => handle(res));
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
    const url = await serve((res) => {
      const before = res.listenerCount('close');
      const closing = new ResponseClose(res);
      closing.add(() => ran.push('first'));
      closing.add(() => ran.push('second'));
      closing.add(() => {
        ran.push('third');
        closed();
      });
      listenersAdded.push(res.listenerCount('close') - before);
      expect(ran).toEqual([]);
      res.end('done');
    });
    expect(await (await fetch(url)).text()).toBe('done');
    await allRan;
    expect(ran).toEqual(['first', 'second', 'third']);
    expect(listenersAdded).toEqual([1]);
  });

  it('add - runs the callback at once when the response has closed already', async () => {
    const ran: string[] = [];
    let checked!: () => void;
    const done = new Promise<void>((resolve) => (checked = resolve));
    const url = await serve((res) => {
      const closing = new ResponseClose(res);
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
});
