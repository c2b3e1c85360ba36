import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { ConfigError } from '@llm-settings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/index.js';
import type { LlmPassThroughOptions } from '../src/llm-pass-through.js';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

/** A provider that holds every answer until the test ends it. */
async function startHeldUpstream() {
  const received: IncomingHttpHeaders[] = [];
  let held: ServerResponse[] = [];
  /** The held answers whose call is still on: the pass-through closes the others. */
  const live = () => (held = held.filter((res) => !res.destroyed));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.headers);
      held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Calls held and still on. */
    get held() {
      return live();
    },
    /** Answers the oldest held call. */
    answerOne() {
      const res = live().shift()!;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    },
    /** Cuts the oldest held call without an answer. */
    dropOne() {
      live().shift()!.socket!.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Upstream = Awaited<ReturnType<typeof startHeldUpstream>>;

let upstream: Upstream | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  server = upstream = undefined;
});

const ANTHROPIC = { provider: 'anthropic', api_key: ANTHROPIC_KEY } as const;
const OPENAI = { provider: 'openai', api_key: OPENAI_KEY } as const;

/** The app over a held upstream, with settings for the given scopes. */
async function start(llm: Partial<LlmPassThroughOptions>, settings: Record<string, typeof ANTHROPIC | typeof OPENAI> = { default: OPENAI }) {
  upstream = await startHeldUpstream();
  server = await startServer({ llm: { baseUrls: { anthropic: upstream.url, openai: `${upstream.url}/v1` }, timeoutMs: 5000, ...llm } });
  for (const [scope, body] of Object.entries(settings)) {
    expect((await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', body, { 'llm-settings-scope': scope }))).status).toBe(200);
  }
  const url = server.url;
  return {
    upstream,
    server,
    /** Starts a chat completion of `scope`; resolves with its answer. */
    call: (scope = 'default', signal?: AbortSignal) =>
      fetch(`${url}/api/llm/openai/v1/chat/completions`, { ...jsonRequest('POST', { model: 'gpt-4o' }, { 'llm-settings-scope': scope }), ...(signal ? { signal } : {}) }),
  };
}

async function expectTooMany(response: Response, detail: string) {
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe('1');
  expect(response.headers.get('x-should-retry')).toBeNull();
  const problem = (await response.json()) as { detail: string };
  expect(problem).toMatchObject({
    type: 'urn:llm-settings:problem:http.too-many-requests',
    status: 429,
    code: 'HTTP.TOO_MANY_REQUESTS',
    detail: expect.stringContaining(detail),
    error: { message: problem.detail, type: 'invalid_request_error', param: null, code: 'HTTP.TOO_MANY_REQUESTS' },
  });
}

describe('LLM pass-through: calls in flight', () => {
  it('answers 429 with Retry-After beyond maxInFlight, and takes calls again as held ones end: answered, cut by the provider or left by the client', async () => {
    const { upstream, call } = await start({ maxInFlight: 3, maxInFlightPerScope: 10 });
    const aborted = new AbortController();
    const pending = [call('default', aborted.signal).catch(() => 'aborted'), call().then((r) => r.status), call().then((r) => r.status)];
    await expect.poll(() => upstream.held.length).toBe(3);
    await expectTooMany(await call(), '3 LLM calls are in flight');
    expect(upstream.received).toHaveLength(3);

    aborted.abort();
    await expect(pending[0]).resolves.toBe('aborted');
    await expect.poll(() => upstream.held.length).toBe(2);
    const fourth = call().then((r) => r.status);
    await expect.poll(() => upstream.held.length).toBe(3);
    await expectTooMany(await call(), 'in flight');

    // The second and third calls were sent at once, so either may have reached the provider first.
    upstream.answerOne();
    upstream.dropOne();
    expect(await Promise.all([pending[1], pending[2]])).toEqual(expect.arrayContaining([200, 502]));
    const again = [call().then((r) => r.status), call().then((r) => r.status)];
    await expect.poll(() => upstream.held.length).toBe(3);
    await expectTooMany(await call(), 'in flight');
    for (let i = 0; i < 3; i++) upstream.answerOne();
    expect(await Promise.all([fourth, ...again])).toEqual([200, 200, 200]);
  });

  it('frees the slots of calls pipelined behind another on a connection the client closes: their answers never started', async () => {
    const { upstream, server, call } = await start({ maxInFlight: 50, maxInFlightPerScope: 3 });
    // One connection: a held call, then two more queued behind it (their answers wait for the first's).
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = JSON.stringify({ model: 'gpt-4o' });
    const one = `POST /api/llm/openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    socket.write(one.repeat(3));
    await expect.poll(() => upstream.held.length).toBe(3);
    await expectTooMany(await call(), '3 LLM calls of this scope are in flight');
    socket.destroy();
    // Each slot is back: three new calls are held, a fourth is refused.
    await expect.poll(() => upstream.held.length).toBe(0);
    const again = [call(), call(), call()].map((pending) => pending.then((r) => r.status));
    await expect.poll(() => upstream.held.length).toBe(3);
    await expectTooMany(await call(), 'in flight');
    for (let i = 0; i < 3; i++) upstream.answerOne();
    expect(await Promise.all(again)).toEqual([200, 200, 200]);
  });

  it('takes a call again once the one in flight timed out', async () => {
    const { upstream, call } = await start({ maxInFlight: 1, timeoutMs: 300 });
    const first = call().then((r) => r.status);
    await expect.poll(() => upstream.held.length).toBe(1);
    await expectTooMany(await call(), 'in flight');
    expect(await first).toBe(504);
    const next = call().then((r) => r.status);
    await expect.poll(() => upstream.received.length).toBe(2);
    upstream.answerOne();
    expect(await next).toBe(200);
  });

  it('answers 429 beyond maxInFlightPerScope for that scope only', async () => {
    const { upstream, call } = await start({ maxInFlight: 10, maxInFlightPerScope: 2 }, { 'tenant-a': OPENAI, 'tenant-b': OPENAI });
    const held = [call('tenant-a').then((r) => r.status), call('tenant-a').then((r) => r.status)];
    await expect.poll(() => upstream.held.length).toBe(2);
    await expectTooMany(await call('tenant-a'), '2 LLM calls of this scope are in flight');
    const other = call('tenant-b').then((r) => r.status);
    await expect.poll(() => upstream.held.length).toBe(3);
    for (let i = 0; i < 3; i++) upstream.answerOne();
    expect(await Promise.all([...held, other])).toEqual([200, 200, 200]);
    const next = call('tenant-a');
    await expect.poll(() => upstream.held.length).toBe(1);
    upstream.answerOne();
    expect((await next).status).toBe(200);
  });

  it("counts the calls it refuses itself only while they are answered", async () => {
    const { server } = await start({ maxInFlight: 1 }, { default: ANTHROPIC });
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/api/llm/openai/v1/models`);
      expect(response.status).toBe(409);
    }
  });

  it('counts a call whose body is still arriving, and answers 408 when it is not whole within bodyTimeoutMs, sending nothing on', async () => {
    const { upstream, server, call } = await start({ maxInFlight: 1, bodyTimeoutMs: 300 });
    const slow = request(`${server.url}/api/llm/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } });
    const answered = new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      slow.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      slow.on('error', reject);
    });
    slow.write('{"model":"gpt-4o",');
    // Once the slow call holds the one slot (a call let through instead would be held upstream, and fail the test below).
    await expect.poll(async () => (await call()).status).toBe(429);
    const timedOut = await answered;
    expect(timedOut.status).toBe(408);
    expect(timedOut.headers.connection).toBe('close');
    expect(timedOut.headers['x-should-retry']).toBeUndefined();
    expect(JSON.parse(timedOut.body)).toMatchObject({
      code: 'HTTP.REQUEST_TIMEOUT',
      detail: 'The request body did not arrive within 300 ms.',
      error: { code: 'HTTP.REQUEST_TIMEOUT', message: 'The request body did not arrive within 300 ms.' },
    });
    expect(upstream.received).toHaveLength(0);
    const next = call();
    await expect.poll(() => upstream.held.length).toBe(1);
    upstream.answerOne();
    expect((await next).status).toBe(200);
  });

  it.each([
    [{ bodyTimeoutMs: 0 }, 'llm.bodyTimeoutMs'],
    [{ maxInFlight: 1.5 }, 'llm.maxInFlight'],
    [{ maxInFlightPerScope: -1 }, 'llm.maxInFlightPerScope'],
    [{ allowedBetas: ['ok-beta', 'two betas'] }, 'llm.allowedBetas'],
  ])('refuses unusable options with ConfigError (%o)', (extra, name) => {
    const service = { get: async () => ({}), update: async () => ({}), clear: async () => {}, test: async () => ({}), resolve: async () => ({}) } as never;
    const llm = { baseUrls: { anthropic: 'http://127.0.0.1', openai: 'http://127.0.0.1/v1' }, ...extra };
    expect(() => createHttpApp({ service, llm })).toThrow(ConfigError);
    expect(() => createHttpApp({ service, llm })).toThrow(name);
  });
});

describe('LLM pass-through: beta and telemetry headers', () => {
  /** The headers the upstream got for one Anthropic call with `headers`. */
  async function sentFor(llm: Partial<LlmPassThroughOptions>, headers: Record<string, string>) {
    const { upstream, server } = await start(llm, { default: ANTHROPIC });
    const pending = fetch(`${server.url}/api/llm/anthropic/v1/messages`, jsonRequest('POST', { model: 'm' }, headers));
    await expect.poll(() => upstream.held.length).toBe(1);
    upstream.answerOne();
    expect((await pending).status).toBe(200);
    return { sent: upstream.received[0]!, logs: server.logger.entries().filter((entry) => entry.msg === 'beta header values dropped') };
  }

  it('forwards no beta by default, with a debug line naming what it dropped', async () => {
    const { sent, logs } = await sentFor({}, { 'anthropic-beta': 'web-fetch-2025-09-10', 'openai-beta': 'assistants=v2' });
    expect(sent).not.toHaveProperty('anthropic-beta');
    expect(sent).not.toHaveProperty('openai-beta');
    expect(logs).toEqual([
      { level: 'debug', msg: 'beta header values dropped', request_id: expect.any(String), header: 'anthropic-beta', values: ['web-fetch-2025-09-10'], count: 1 },
      { level: 'debug', msg: 'beta header values dropped', request_id: expect.any(String), header: 'openai-beta', values: ['assistants=v2'], count: 1 },
    ]);
  });

  it('forwards the allowed values of a comma list and drops the others', async () => {
    const { sent, logs } = await sentFor(
      { allowedBetas: ['prompt-caching-2024-07-31', 'token-counting-2024-11-01', 'assistants=v2'] },
      { 'anthropic-beta': 'prompt-caching-2024-07-31, web-fetch-2025-09-10,token-counting-2024-11-01', 'openai-beta': 'assistants=v2' },
    );
    expect(sent['anthropic-beta']).toBe('prompt-caching-2024-07-31,token-counting-2024-11-01');
    expect(sent['openai-beta']).toBe('assistants=v2');
    expect(logs).toEqual([expect.objectContaining({ header: 'anthropic-beta', values: ['web-fetch-2025-09-10'], count: 1 })]);
  });

  it('logs at most 8 dropped values, each cut to 64 characters and redacted of key-shaped text', async () => {
    const values = [`sk-ant-api03-${'k'.repeat(40)}`, 'x'.repeat(500), ...Array.from({ length: 10 }, (_, i) => `beta-${i}`)];
    const { sent, logs } = await sentFor({}, { 'anthropic-beta': values.join(',') });
    expect(sent).not.toHaveProperty('anthropic-beta');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ count: 12, values: ['[REDACTED]', 'x'.repeat(64), 'beta-0', 'beta-1', 'beta-2', 'beta-3', 'beta-4', 'beta-5'] });
  });

  it('redacts a dropped value holding an xAI, Groq or Google key (no sk- prefix) from the log line', async () => {
    // Made of parts, so that no secret scanner takes them for real keys.
    const keys = [`xai-${'FakeXaiKey'.padEnd(80, '0123456789')}`, `gsk_${'FakeGroqKey'.padEnd(52, '0123456789')}`, `AIza${'Sy_Fake-GeminiKey'.padEnd(35, '0123456789')}`];
    const { logs } = await sentFor({}, { 'openai-beta': keys.join(',') });
    expect(logs[0]).toMatchObject({ header: 'openai-beta', values: ['[REDACTED]', '[REDACTED]', '[REDACTED]'], count: 3 });
  });

  it("forwards the SDKs' telemetry headers by name, and no other x-stainless-* header", async () => {
    const { sent } = await sentFor({}, { 'x-stainless-lang': 'js', 'x-stainless-retry-count': '0', 'x-stainless-runtime-version': 'v20', 'x-stainless-new-feature': 'on' });
    expect(sent).toMatchObject({ 'x-stainless-lang': 'js', 'x-stainless-retry-count': '0', 'x-stainless-runtime-version': 'v20' });
    expect(sent).not.toHaveProperty('x-stainless-new-feature');
  });
});

describe("LLM pass-through: problems in the provider's error shape", () => {
  it("adds the provider's error object to every problem under its path, and to no other problem", async () => {
    const { server } = await start({}, { default: OPENAI });
    const problemAt = async (path: string, init: RequestInit = {}) => (await (await fetch(`${server.url}${path}`, init)).json()) as { detail: string; error?: unknown };
    const mismatch = await problemAt('/api/llm/anthropic/v1/messages', jsonRequest('POST', { model: 'm' }));
    expect(mismatch).toEqual({
      type: 'urn:llm-settings:problem:settings.provider-mismatch',
      title: 'Provider mismatch',
      status: 409,
      detail: mismatch.detail,
      code: 'SETTINGS.PROVIDER_MISMATCH',
      error: { type: 'conflict_error', message: mismatch.detail, details: { error_code: 'SETTINGS.PROVIDER_MISMATCH' } },
    });
    const missing = await problemAt('/api/llm/openai/v1/models', { headers: { 'llm-settings-scope': 'nobody' } });
    expect(missing.error).toEqual({ message: missing.detail, type: 'invalid_request_error', param: null, code: 'SETTINGS.NOT_CONFIGURED' });
    const unknown = await problemAt('/api/llm/openai/v1/files', { method: 'POST' });
    expect(unknown.error).toMatchObject({ code: 'HTTP.NOT_FOUND' });
    const badScope = await problemAt('/api/llm/anthropic/v1/models', { headers: { 'llm-settings-scope': '-bad' } });
    expect(badScope.error).toMatchObject({ type: 'invalid_request_error', details: { error_code: 'VALIDATION.INVALID_INPUT' } });

    const settings = await problemAt('/api/settings/llm/test', { method: 'POST', headers: { 'llm-settings-scope': 'nobody' } });
    expect(settings).toMatchObject({ code: 'SETTINGS.NOT_CONFIGURED' });
    expect(settings).not.toHaveProperty('error');
    const elsewhere = await problemAt('/api/llm/google/v1/models');
    expect(elsewhere).toMatchObject({ code: 'HTTP.NOT_FOUND' });
    expect(elsewhere).not.toHaveProperty('error');
  });
});

describe('LLM pass-through: base URLs', () => {
  it('appends the call path to a base URL given with trailing slashes', async () => {
    const paths: string[] = [];
    const upstream = createServer((req, res) => {
      paths.push(req.url ?? '');
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    try {
      server = await startServer({ llm: { baseUrls: { openai: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1///` } } });
      await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }));
      const response = await fetch(`${server.url}/api/llm/openai/v1/chat/completions`, jsonRequest('POST', { model: 'gpt-4o-mini', messages: [] }));
      expect(response.status).toBe(200);
      expect(paths).toEqual(['/v1/chat/completions']);
    } finally {
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it('takes a base URL whose path holds a long run of slashes before a segment, at once (the trim is linear)', () => {
    const service = { get: async () => ({}), update: async () => ({}), clear: async () => {}, test: async () => ({}), resolve: async () => ({}) } as never;
    // 200,000 slashes: a quadratic trim retried from each of them took minutes here.
    const llm = { baseUrls: { anthropic: 'http://127.0.0.1', openai: `http://127.0.0.1/a${'/'.repeat(200_000)}v1` } };
    expect(createHttpApp({ service, llm })).toBeDefined();
  });
});
