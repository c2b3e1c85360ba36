import type { ParameterizedContext } from 'koa';

/** What the middleware of one request share through `ctx.state`. */
export interface AppState {
  /** The request id: the client's valid X-Request-Id, or a generated UUID. */
  requestId: string;
  /** Set by the problem middleware for the request log line: a code and a redacted message. */
  failure?: { code: string; message: string };
}

export type AppContext = ParameterizedContext<AppState>;
