import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

/*
 * A real OpenTelemetry SDK registered by the test, as a host app would: the app's spans,
 * exported in memory, with their attributes.
 */

const TOKEN = 'tracing-test-api-token-0123456789';
const SCOPE = 'tenant-traced';
const PROMPT = 'PROMPT-CANARY-7f3a9c';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

let upstream: Server;
let upstreamUrl: string;
let server: TestServer | undefined;

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_traced_1' });
      res.end(JSON.stringify({ id: 'msg_1', type: 'message', content: [{ type: 'text', text: 'hi' }], usage: { input_tokens: 3, output_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  exporter.reset();
});

afterAll(async () => {
  trace.disable();
  await provider.shutdown();
  await new Promise((resolve) => upstream.close(resolve));
});

async function startTraced(baseUrl: string): Promise<TestServer> {
  const started = await startServer({ apiToken: TOKEN, llm: { baseUrls: { anthropic: baseUrl, openai: `${baseUrl}/v1` }, timeoutMs: 2000 } });
  const auth = { authorization: `Bearer ${TOKEN}`, 'llm-settings-scope': SCOPE };
  expect((await fetch(`${started.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'anthropic', api_key: ANTHROPIC_KEY }, auth))).status).toBe(200);
  return started;
}

async function callMessages(url: string): Promise<Response> {
  return fetch(`${url}/api/llm/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': TOKEN, 'content-type': 'application/json', 'llm-settings-scope': SCOPE, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-20250514', max_tokens: 8, messages: [{ role: 'user', content: PROMPT }] }),
  });
}

/** The spans ended so far, once `count` of them have. */
async function spans(count: number): Promise<ReadableSpan[]> {
  await expect.poll(() => exporter.getFinishedSpans().length).toBeGreaterThanOrEqual(count);
  return exporter.getFinishedSpans();
}

function expectNoSecretIn(all: readonly ReadableSpan[]): void {
  const text = JSON.stringify(all.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status })));
  for (const secret of [ANTHROPIC_KEY, TOKEN, PROMPT, 'sk-ant', 'msg_1', '"hi"']) expect(text).not.toContain(secret);
}

describe('traces through @opentelemetry/api, with an SDK registered by the host', () => {
  it('an app started before the host registers its SDK traces the requests after it, none before', async () => {
    trace.disable();
    try {
      server = await startServer({});
      expect((await fetch(`${server.url}/api/settings/llm`)).status).toBe(200);
      trace.setGlobalTracerProvider(provider);
      expect((await fetch(`${server.url}/api/settings/llm/providers`)).status).toBe(200);
      const [span, ...others] = await spans(1);
      expect(others).toEqual([]);
      expect(span!.name).toBe('GET /api/settings/llm/providers');
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
  });

  it('a pass-through call: a server span for the request and a client span for the provider call, its child, with provider, route, status and scope', async () => {
    server = await startTraced(upstreamUrl);
    exporter.reset();
    expect((await callMessages(server.url)).status).toBe(200);
    const all = await spans(2);
    const request = all.find((span) => span.kind === SpanKind.SERVER);
    const upstreamCall = all.find((span) => span.kind === SpanKind.CLIENT);
    expect(request?.name).toBe('POST /api/llm/anthropic/v1/messages');
    expect(request?.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/api/llm/anthropic/v1/messages',
      'http.response.status_code': 200,
      'llm_settings.scope': SCOPE,
      'llm_settings.provider': 'anthropic',
    });
    expect(upstreamCall?.name).toBe('POST anthropic /v1/messages');
    expect(upstreamCall?.attributes).toEqual({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'llm_settings.provider': 'anthropic',
      'llm_settings.upstream_route': '/v1/messages',
    });
    expect(upstreamCall?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(upstreamCall?.spanContext().traceId).toBe(request?.spanContext().traceId);
    expectNoSecretIn(all);
  });

  it('a provider that cannot be reached: the client span is an error without a status, the request span a 502 with its code', async () => {
    server = await startTraced('http://127.0.0.1:1');
    exporter.reset();
    expect((await callMessages(server.url)).status).toBe(502);
    const all = await spans(2);
    const upstreamCall = all.find((span) => span.kind === SpanKind.CLIENT);
    const request = all.find((span) => span.kind === SpanKind.SERVER);
    expect(upstreamCall?.status.code).toBe(SpanStatusCode.ERROR);
    expect(upstreamCall?.attributes['http.response.status_code']).toBeUndefined();
    expect(request?.status.code).toBe(SpanStatusCode.ERROR);
    expect(request?.attributes['llm_settings.error_code']).toBe('UPSTREAM.UNAVAILABLE');
    expectNoSecretIn(all);
  });

  it('a settings read names its route template and scope; an unknown path is named by its method only', async () => {
    server = await startTraced(upstreamUrl);
    exporter.reset();
    await fetch(`${server.url}/api/settings/llm`, { headers: { authorization: `Bearer ${TOKEN}`, 'llm-settings-scope': SCOPE } });
    await fetch(`${server.url}/no/such/caller-path`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const [read, unknown] = await spans(2);
    expect(read?.name).toBe('GET /api/settings/llm');
    expect(read?.attributes['llm_settings.scope']).toBe(SCOPE);
    expect(unknown?.name).toBe('GET');
    expect(unknown?.attributes['http.route']).toBeUndefined();
    expect(JSON.stringify(unknown?.attributes)).not.toContain('caller-path');
    expectNoSecretIn([read!, unknown!]);
  });

  it('a refused request carries no scope: the header of a caller without access is a claim, not its scope', async () => {
    server = await startTraced(upstreamUrl);
    exporter.reset();
    await fetch(`${server.url}/api/settings/llm`, { headers: { authorization: 'Bearer wrong-token-0123456789', 'llm-settings-scope': 'someone-elses-tenant' } });
    const [refused] = await spans(1);
    expect(refused?.attributes['http.response.status_code']).toBe(401);
    expect(refused?.attributes['llm_settings.scope']).toBeUndefined();
    expect(JSON.stringify(refused?.attributes)).not.toContain('someone-elses-tenant');
  });
});
