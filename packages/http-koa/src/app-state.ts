import type { Span } from '@opentelemetry/api';
import type { LlmProvider } from '@llm-settings/core';
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
