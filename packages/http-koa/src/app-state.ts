import type { Span } from '@opentelemetry/api';
import type { Caller, LlmProvider, Permission, Preconditions } from '@llm-settings/core';
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
   * Who is calling: set by the access check of the API's protected routers
   * (bearer-auth.ts) before their routes run: the admin (the API token, or anyone when
   * the app has no token: loopback, or a proxy in front that authenticates) or a scoped
   * caller (a scoped token). Absent on the open routes, whose callers are unknown, and on
   * `/metrics` behind its own token, whose bearer is a scraper and no caller of the API.
   */
  caller?: Caller;
  /** Set by `may` (permissions.ts): the permission the route requires, checked. */
  permission?: Permission;
}

/** What the request log says about one call through the LLM pass-through: never a body or a key. */
export interface LlmCallFacts {
  provider: LlmProvider;
  /** The scope whose settings were used. */
  scope: string;
  /** The provider's request id, checked and scrubbed of the key; null until (or unless) it answers with one. */
  upstreamRequestId: string | null;
}

/**
 * The middleware on every request's path use `ctx.request` and `ctx.response` rather than
 * the context's shorthands (`ctx.headers`, `ctx.status`, `ctx.set`): Koa makes those with
 * one shared getter each, so every read through them is a megamorphic look-up, which cost
 * a GET about 7,000 instructions in all.
 */
export type AppContext = ParameterizedContext<AppState>;

/*
 * What a route's middleware put on `ctx.state` for its handler (route-state.ts), each
 * declared by the route that uses it: `router.put<ScopeState & BodyState>(path, ...)`.
 */

/**
 * Set by `scoped`: the scope named in `LLM-Settings-Scope`, undefined for the default
 * one; a scoped caller's own scope when it names none.
 */
export interface ScopeState {
  scope: string | undefined;
}

/** Set by `conditional`: If-Match and If-None-Match as core takes them, each left out when absent. */
export interface PreconditionsState {
  preconditions: Preconditions;
}

/** Set by `jsonBody`: the parsed JSON body, undefined when an optional body is absent. */
export interface BodyState {
  body: unknown;
}

/** Set by `abortable`: aborts when the client goes away before its answer is sent. */
export interface SignalState {
  signal: AbortSignal;
}
