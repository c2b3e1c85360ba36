import { createServer } from 'node:net';

/** Whether `port` of 127.0.0.1 can be listened on now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first of `count` ports in a row, below Linux's ephemeral range, free when looked at. */
export async function freePorts(count: number): Promise<number> {
  for (;;) {
    const first = 20_000 + Math.floor(Math.random() * 10_000);
    let all = true;
    for (let port = first; port < first + count && all; port++) all = await isFree(port);
    if (all) return first;
  }
}
