import type { Span } from '@opentelemetry/api';
import type { IfMatch, LlmProvider } from '@llm-settings/core';
import type { ParameterizedContext } from 'koa';

/** What the middleware of one request share through `ctx.state`. */
export interface AppState {
  /** The request id: the client's valid X-Request-Id, or a generated UUID. */
  requestId: string;
  /** Set by the problem middleware for the request log line: a code and a redacted message. */
  failure?: { code: string; message: string };
  /** Set by the LLM pass-through for the request log line. */
  llm?: LlmCallFacts;
  /** The request's span, while an OpenTelemetry SDK records it (see tracing.ts). */
  span?: Span;
  /**
   * Who is calling: set by the access check of every protected router (bearer-auth.ts)
   * before its routes run; absent on the open routes, whose callers are unknown.
   */
  caller?: Caller;
}

/** What the request log says about one call through the LLM pass-through: never a body or a key. */
export interface LlmCallFacts {
  provider: LlmProvider;
  /** The scope whose settings were used. */
  scope: string;
  /** The provider's request id, checked and scrubbed of the key; null until (or unless) it answers with one. */
  upstreamRequestId: string | null;
}

export type AppContext = ParameterizedContext<AppState>;

/**
 * Who is calling, as the protected routers' access check found it (bearer-auth.ts):
 * `admin` presented the API token, `metrics` the metrics token; `loopback` is anyone
 * reaching an app configured without a token (the server allows that on loopback only,
 * or behind a proxy that authenticates).
 */
export type Caller = 'admin' | 'metrics' | 'loopback';

/*
 * What a route's middleware put on `ctx.state` for its handler (route-state.ts), each
 * declared by the route that uses it: `router.put<ScopeState & BodyState>(path, ...)`.
 */

/** Set by `scoped`: the scope named in `LLM-Settings-Scope`, undefined for the default one. */
export interface ScopeState {
  scope: string | undefined;
}

/** Set by `ifMatched`: the If-Match header as core takes it, undefined without one. */
export interface IfMatchState {
  ifMatch: IfMatch | undefined;
}

/** Set by `jsonBody`: the parsed JSON body, undefined when an optional body is absent. */
export interface BodyState {
  body: unknown;
}

/** Set by `abortable`: aborts when the client goes away before its answer is sent. */
export interface SignalState {
  signal: AbortSignal;
}
