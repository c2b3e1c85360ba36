import { context, propagation, ProxyTracerProvider, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { LlmProvider } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppContext, AppState, ScopeState } from './app-state.js';

/**
 * The package's tracer, through `@opentelemetry/api` only: until the host app registers an
 * OpenTelemetry SDK, its spans are non-recording no-ops and nothing else runs.
 */
const tracer = trace.getTracer('@llm-settings/http-koa');
/** The API's no-op provider, which its proxy delegates to until an SDK registers one. */
const NO_SDK = new ProxyTracerProvider().getDelegate();

/**
 * Whether an SDK's tracer provider is registered, asked on each request since the host app
 * may register one after start: without one, the request's context need not be extracted
 * nor a span started (about 2,000 instructions a request for nothing).
 */
function sdkRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return (provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider) !== NO_SDK;
}

/** The span attributes of this package: never a key, a token, a body, a prompt or a URL. */
export const SpanAttributes = {
  METHOD: 'http.request.method',
  ROUTE: 'http.route',
  STATUS: 'http.response.status_code',
  /** The scope of the request: traces are per request, so naming the tenant there is fine. */
  SCOPE: 'llm_settings.scope',
  PROVIDER: 'llm_settings.provider',
  /** The provider's path of a pass-through call (`/v1/messages`). */
  UPSTREAM_ROUTE: 'llm_settings.upstream_route',
  /** The problem code of a failed request (`HTTP.TOO_MANY_REQUESTS`, ...). */
  ERROR_CODE: 'llm_settings.error_code',
} as const;

/**
 * Starts a server span per request (continuing the caller's trace when a propagator is
 * registered), active while the request's middleware run. The span ends with the request
 * log line (see {@link endRequestSpan}); without an SDK, none is kept.
 */
export function traceRequests(): Middleware<AppState> {
  return (ctx, next) => {
    if (!sdkRegistered()) return next();
    const parent = propagation.extract(context.active(), ctx.headers);
    const span = tracer.startSpan(ctx.method, { kind: SpanKind.SERVER, attributes: { [SpanAttributes.METHOD]: ctx.method } }, parent);
    if (!span.isRecording()) return next();
    ctx.state.span = span;
    return context.with(trace.setSpan(parent, span), next);
  };
}

/** Ends the request's span, once its answer has been sent, with its route template, status, scope and failure code. */
export function endRequestSpan(ctx: AppContext, route: string | null): void {
  const { span } = ctx.state;
  if (span === undefined) return;
  if (route !== null) {
    span.updateName(`${ctx.method} ${route}`);
    span.setAttribute(SpanAttributes.ROUTE, route);
  }
  span.setAttribute(SpanAttributes.STATUS, ctx.status);
  // The scope the route granted, never the header of a refused request: that is the caller's claim.
  const scope = ctx.state.llm?.scope ?? (ctx.state as Partial<ScopeState>).scope;
  if (scope !== undefined) span.setAttribute(SpanAttributes.SCOPE, scope);
  if (ctx.state.llm !== undefined) span.setAttribute(SpanAttributes.PROVIDER, ctx.state.llm.provider);
  if (ctx.state.failure !== undefined) span.setAttribute(SpanAttributes.ERROR_CODE, ctx.state.failure.code);
  if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** A client span for one pass-through call to the provider, a child of the request's span; null without an SDK. */
export function startUpstreamSpan(parent: Span | undefined, provider: LlmProvider, route: string, method: string): Span | null {
  if (!sdkRegistered()) return null;
  const parentContext = parent === undefined ? context.active() : trace.setSpan(context.active(), parent);
  return tracer.startSpan(
    `${method} ${provider} ${route}`,
    { kind: SpanKind.CLIENT, attributes: { [SpanAttributes.METHOD]: method, [SpanAttributes.PROVIDER]: provider, [SpanAttributes.UPSTREAM_ROUTE]: route } },
    parentContext,
  );
}

/** Ends a pass-through call's span with the provider's status; an error when it never answered or answered 5xx. */
export function endUpstreamSpan(span: Span, upstreamStatus: number | null): void {
  if (upstreamStatus !== null) span.setAttribute(SpanAttributes.STATUS, upstreamStatus);
  if (upstreamStatus === null || upstreamStatus >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
