import type { ServerResponse } from 'node:http';

/**
 * What runs once a response closes (answered, cut, or its client gone), in the order
 * added, on one 'close' listener: a streamed pass-through answer has seven more (Koa's and
 * the pipeline's) and the request log's, and Node warns of a leak past ten; each listener
 * costs about 1,000 instructions to add and to call.
 */
export class ResponseClose {
  private readonly callbacks: Array<() => void> = [];

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      for (const callback of this.callbacks) callback();
    });
  }

  /** Runs `callback` when the response closes; at once when it has already. */
  add(callback: () => void): void {
    if (this.res.closed) callback();
    else this.callbacks.push(callback);
  }
}
