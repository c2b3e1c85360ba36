// What tracing costs when the host app registered no OpenTelemetry SDK: the calls
// @llm-settings/http-koa makes through @opentelemetry/api for one request (extract the
// caller's context, start the request span, find it non-recording) and for one
// pass-through call (start and end its client span), timed in a loop, in nanoseconds,
// set beside the CPU a cached GET costs the server (bench/http.bench.mjs: about 100 µs).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const { context, propagation, SpanKind, trace } = createRequire(new URL('../packages/http-koa/package.json', import.meta.url))('@opentelemetry/api');

const tracer = trace.getTracer('@llm-settings/http-koa');
const headers = { host: '127.0.0.1:8080', authorization: 'Bearer x', 'llm-settings-scope': 'tenant-a', accept: 'application/json' };

/** The no-SDK path of one request (tracing.ts: traceRequests, endRequestSpan). */
function oneRequest() {
  const parent = propagation.extract(context.active(), headers);
  const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } }, parent);
  return span.isRecording();
}

/** The no-SDK path of one pass-through call's client span (tracing.ts: startUpstreamSpan, endUpstreamSpan). */
function oneUpstreamCall() {
  const span = tracer.startSpan('POST anthropic /v1/messages', { kind: SpanKind.CLIENT, attributes: { 'llm_settings.provider': 'anthropic' } }, context.active());
  span.setAttribute('http.response.status_code', 200);
  span.end();
}

function nsPerCall(run, iterations) {
  for (let i = 0; i < iterations / 10; i++) run();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  return Number(process.hrtime.bigint() - started) / iterations;
}

/** @returns nanoseconds per request and per pass-through call, median of `rounds`. */
export function runTracingBench({ iterations = 1_000_000, rounds = 5 } = {}) {
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const requests = [];
  const upstream = [];
  for (let i = 0; i < rounds; i++) {
    requests.push(nsPerCall(oneRequest, iterations));
    upstream.push(nsPerCall(oneUpstreamCall, iterations));
  }
  return { iterations, rounds, request_ns: Math.round(median(requests)), upstream_call_ns: Math.round(median(upstream)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(runTracingBench(), null, 2));
}
