import { ServerResponse, type IncomingMessage } from 'node:http';

/** The answers of one HTTP server, which close their connection once it drains. */
export interface DrainingResponses {
  /** The class to give `http.createServer({ ServerResponse })`. */
  readonly ServerResponse: typeof ServerResponse;
  /** From now on, every answer whose head is not yet written closes its connection. */
  drain(): void;
}

/**
 * Keep-alive connections of busy clients are never idle, so closing the server would wait
 * for the grace period and then cut requests in progress. Once draining, every answer not
 * yet started (those in progress included) says `Connection: close` as its head is
 * written, so clients reconnect and are refused instead. Decided when the head is written,
 * so that nothing keeps an answer once it is sent: a map of each connection's latest
 * answer kept every finished answer alive until its connection's next request, which
 * made every young-generation collection copy 50 of them under load (docs/performance.md).
 */
export function drainingResponses(): DrainingResponses {
  let draining = false;
  class DrainingResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
    // Node writes every head through writeHead, the implicit one of write() and end() too.
    override writeHead(...args: unknown[]): this {
      if (draining && !this.headersSent) this.setHeader('Connection', 'close');
      return super.writeHead(...(args as Parameters<ServerResponse<Request>['writeHead']>));
    }
  }
  return {
    ServerResponse: DrainingResponse,
    drain: () => {
      draining = true;
    },
  };
}
