import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What runs once a response closes (answered, cut, or its client gone), in the order
 * added, on one 'close' listener: a streamed pass-through answer has seven more (Koa's and
 * the pipeline's) and the request log's, and Node warns of a leak past ten; each listener
 * costs about 1,000 instructions to add and to call.
 */
export class ResponseClose {
  private readonly callbacks: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    req: IncomingMessage,
  ) {
    // A response queued behind another on its connection (pipelined requests) has no socket
    // yet, and Node emits no 'close' for it when the connection goes first: the
    // connection's own 'close' stands in for it.
    const connection = res.socket === null ? req.socket : null;
    const run = () => {
      if (this.closed) return;
      this.closed = true;
      connection?.off('close', run);
      for (const callback of this.callbacks) callback();
    };
    res.once('close', run);
    connection?.once('close', run);
  }

  /** Runs `callback` when the response closes; at once when it has already. */
  add(callback: () => void): void {
    if (this.closed || this.res.closed) callback();
    else this.callbacks.push(callback);
  }
}
