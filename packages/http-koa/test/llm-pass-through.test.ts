import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@llm-settings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/index.js';
import { WHOLE_ANSWER_MAX_BYTES } from '../src/llm-pass-through.js';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, type TestServer, type TestServerOptions } from './helpers.js';
import { sendRaw } from './recording-upstream.js';

/** One request the upstream received. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Answer = (res: ServerResponse, received: Received, req: IncomingMessage) => void;

/** A minimal provider: records requests, answers with the test's function, reports answers cut short. */
async function startUpstream() {
  const received: Received[] = [];
  const cutShort: Received[] = [];
  let answer: Answer = (res) => json(res, 200, { ok: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      res.once('close', () => {
        if (!res.writableFinished) cutShort.push(entry);
      });
      answer(res, entry, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    cutShort,
    answerWith(next: Answer) {
      answer = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Upstream = Awaited<ReturnType<typeof startUpstream>>;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

let upstream: Upstream | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  server = upstream = undefined;
});

const TOKEN = 'Tk_pass-through-token-0123456789';

/** The app with the pass-through pointed at a fresh upstream, and settings stored for the default scope. */
async function start(settings: { provider: 'anthropic' | 'openai'; api_key: string } | null, options: TestServerOptions = {}) {
  upstream = await startUpstream();
  server = await startServer({ llm: { baseUrls: { anthropic: upstream.url, openai: `${upstream.url}/v1` }, timeoutMs: 1000, maxBodyBytes: 2048 }, ...options });
  const auth: Record<string, string> = options.apiToken ? { authorization: `Bearer ${options.apiToken}` } : {};
  if (settings) expect((await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', settings, auth))).status).toBe(200);
  return { upstream, server, llm: (path: string) => `${server!.url}/api/llm${path}` };
}

const ANTHROPIC = { provider: 'anthropic', api_key: ANTHROPIC_KEY } as const;
const OPENAI = { provider: 'openai', api_key: OPENAI_KEY } as const;

describe('LLM pass-through: requests', () => {
  it('forwards the body byte for byte with the stored key in x-api-key, and only the allowed headers', async () => {
    const { upstream, llm } = await start(ANTHROPIC);
    const body = '{ "model" : "claude",\n  "messages": [ ], "x": "caf\u00e9" }  ';
    const response = await fetch(llm('/anthropic/v1/messages'), {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer caller-credential',
        'x-api-key': 'caller-api-key',
        cookie: 'session=1',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'tools-2024',
        'x-stainless-lang': 'js',
        'idempotency-key': 'idem-1',
        'openai-organization': 'org-elsewhere',
        'x-forwarded-for': '10.0.0.1',
        'x-request-id': 'caller-request-id',
      },
    });
    expect(response.status).toBe(200);
    const [sent] = upstream.received;
    expect(sent).toMatchObject({ method: 'POST', url: '/v1/messages' });
    expect(sent!.body.toString('utf8')).toBe(body);
    expect(sent!.headers).toMatchObject({
      'x-api-key': ANTHROPIC_KEY,
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-stainless-lang': 'js',
      'idempotency-key': 'idem-1',
      'accept-encoding': 'identity',
      'content-length': String(Buffer.byteLength(body)),
    });
    for (const dropped of ['authorization', 'cookie', 'openai-organization', 'x-forwarded-for', 'x-request-id', 'llm-settings-scope', 'anthropic-beta']) {
      expect(sent!.headers, dropped).not.toHaveProperty(dropped);
    }
    expect(JSON.stringify(sent!.headers)).not.toContain('caller-');
  });

  it('sends the OpenAI key as a bearer token under the /v1 root, and the model lists with their paging query only', async () => {
    const { upstream, llm } = await start(OPENAI);
    await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }, { 'x-api-key': 'caller-api-key' }));
    await fetch(llm('/openai/v1/models?limit=2&after_id=a%2Fb&evil=1&limit=3'));
    await fetch(llm('/openai/v1/embeddings'), jsonRequest('POST', { model: 'e', input: 'x' }));
    await fetch(llm('/openai/v1/responses'), jsonRequest('POST', { model: 'gpt-4o', input: 'x' }));
    expect(upstream.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/chat/completions',
      'GET /v1/models?after_id=a%2Fb',
      'POST /v1/embeddings',
      'POST /v1/responses',
    ]);
    for (const sent of upstream.received) {
      expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(sent.headers).not.toHaveProperty('x-api-key');
    }
  });

  it('forwards the paging query of the Anthropic model list', async () => {
    const { upstream, llm } = await start(ANTHROPIC);
    expect((await fetch(llm('/anthropic/v1/models?limit=2&before_id=m1'))).status).toBe(200);
    expect((await fetch(llm('/anthropic/v1/messages/count_tokens'), jsonRequest('POST', { model: 'm' }))).status).toBe(200);
    expect(upstream.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/models?limit=2&before_id=m1', 'POST /v1/messages/count_tokens']);
  });

  it('uses the settings of the scope the request names', async () => {
    const { upstream, server, llm } = await start(null);
    const tenantKey = 'sk-ant-api03-TENANT-b-key-0123456789abcdef';
    await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', ANTHROPIC, { 'llm-settings-scope': 'tenant-a' }));
    await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'anthropic', api_key: tenantKey }, { 'llm-settings-scope': 'tenant-b' }));
    for (const scope of ['tenant-a', 'tenant-b']) {
      expect((await fetch(llm('/anthropic/v1/models'), { headers: { 'llm-settings-scope': scope } })).status).toBe(200);
    }
    expect(upstream.received.map((r) => r.headers['x-api-key'])).toEqual([ANTHROPIC_KEY, tenantKey]);
    const invalid = await fetch(llm('/anthropic/v1/models'), { headers: { 'llm-settings-scope': '-bad' } });
    expect(invalid.status).toBe(400);
    expect(upstream.received).toHaveLength(2);
  });
});

describe('LLM pass-through: answers', () => {
  it("passes status, body and the headers that matter; keeps our X-Request-Id and Anthropic's request-id", async () => {
    const { upstream, llm } = await start(ANTHROPIC);
    upstream.answerWith((res) =>
      json(res, 201, { id: 'msg_1' }, {
        'request-id': 'req_anthropic_1',
        'anthropic-ratelimit-requests-remaining': '99',
        'retry-after': '3',
        'set-cookie': 'a=b',
        'anthropic-organization-id': 'org-1',
        location: 'https://elsewhere.example',
      }),
    );
    const response = await fetch(llm('/anthropic/v1/messages'), jsonRequest('POST', { model: 'm' }, { 'x-request-id': 'mine-1' }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 'msg_1' });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toBe('mine-1');
    expect(response.headers.get('request-id')).toBe('req_anthropic_1');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('99');
    expect(response.headers.get('retry-after')).toBe('3');
    for (const dropped of ['set-cookie', 'anthropic-organization-id', 'location']) expect(response.headers.get(dropped), dropped).toBeNull();
  });

  it("answers OpenAI's request id as X-Upstream-Request-Id, our own staying in X-Request-Id", async () => {
    const { upstream, server, llm } = await start(OPENAI);
    upstream.answerWith((res) => json(res, 200, { object: 'list' }, { 'x-request-id': 'req_openai_1', 'x-ratelimit-remaining-requests': '5', 'openai-processing-ms': '7' }));
    const response = await fetch(llm('/openai/v1/models'));
    expect(response.headers.get('x-upstream-request-id')).toBe('req_openai_1');
    expect(response.headers.get('x-request-id')).not.toBe('req_openai_1');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('5');
    expect(response.headers.get('openai-processing-ms')).toBe('7');
    const line = server.logger.entries().find((entry) => entry.msg === 'http request' && entry.route === '/api/llm/openai/v1/models');
    expect(line).toMatchObject({ provider: 'openai', scope: 'default', upstream_request_id: 'req_openai_1', status: 200, request_id: response.headers.get('x-request-id') });
  });

  it("keeps the provider's Content-Length on a whole answer, and sends a stream chunked", async () => {
    const { upstream, llm } = await start(OPENAI);
    const body = JSON.stringify({ object: 'chat.completion', text: 'é'.repeat(50) });
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const whole = await rawPost(llm('/openai/v1/chat/completions'));
    expect(whole.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(whole.headers['transfer-encoding']).toBeUndefined();
    expect(whole.body).toBe(body);

    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: [DONE]\n\n');
    });
    const streamed = await rawPost(llm('/openai/v1/chat/completions'));
    expect(streamed.headers['content-length']).toBeUndefined();
    expect(streamed.headers['transfer-encoding']).toBe('chunked');
    expect(streamed.body).toBe('data: [DONE]\n\n');
  });

  it('sends a JSON answer once it has all arrived, as one body with its length, bytes unchanged', async () => {
    const { upstream, llm } = await start(OPENAI);
    const body = JSON.stringify({ object: 'chat.completion', text: 'ü€'.repeat(40) });
    const cut = Buffer.byteLength(body) / 2 + 1; // inside a multi-byte character
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked, as a provider may send it
      res.write(Buffer.from(body).subarray(0, cut));
      setTimeout(() => res.end(Buffer.from(body).subarray(cut)), 50);
    });
    const answer = await rawPost(llm('/openai/v1/chat/completions'));
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(answer.headers['transfer-encoding']).toBeUndefined();
    expect(answer.body).toBe(body);
  });

  it(`passes a JSON answer over ${WHOLE_ANSWER_MAX_BYTES / 1024} KiB on as it comes, bytes unchanged, chunked (a key scrub would change its length)`, async () => {
    const { upstream, llm } = await start(OPENAI);
    const body = JSON.stringify({ object: 'list', data: Array.from({ length: 6000 }, (_, i) => ({ index: i, text: `é-${i}`.padEnd(60, 'x') })) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(WHOLE_ANSWER_MAX_BYTES + 64 * 1024);
    for (const declared of [false, true]) {
      upstream.answerWith((res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(Buffer.byteLength(body)) } : {}) });
        const bytes = Buffer.from(body);
        for (let at = 0; at < bytes.length; at += 16 * 1024) res.write(bytes.subarray(at, at + 16 * 1024));
        res.end();
      });
      const answer = await rawPost(llm('/openai/v1/embeddings'));
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.body).toBe(body);
    }
  });

  it('cuts a long JSON answer whose provider fails midway, and goes on serving', async () => {
    const { upstream, llm } = await start(OPENAI);
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"data":"${'x'.repeat(WHOLE_ANSWER_MAX_BYTES + 1024)}`);
      setTimeout(() => res.destroy(), 50);
    });
    const response = await fetch(llm('/openai/v1/embeddings'), jsonRequest('POST', { model: 'text-embedding-3-small' }));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    upstream.answerWith((res) => json(res, 200, { ok: true }));
    expect(await (await fetch(llm('/openai/v1/embeddings'), jsonRequest('POST', {}))).json()).toEqual({ ok: true });
  });

  it('answers 504 when a JSON answer does not end within timeoutMs, and 499 when the client leaves while it arrives', async () => {
    const { upstream, server, llm } = await start(OPENAI);
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":"chat.completion",');
    });
    const late = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(late.status).toBe(504);
    expect(await late.json()).toMatchObject({ code: 'UPSTREAM.TIMEOUT' });
    await expect.poll(() => upstream.cutShort.length).toBe(1);

    const controller = new AbortController();
    const pending = fetch(llm('/openai/v1/chat/completions'), { ...jsonRequest('POST', { model: 'gpt-4o' }), signal: controller.signal });
    await expect.poll(() => upstream.received.length).toBe(2);
    await sleep(50); // the answer's first bytes reach the server
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => upstream.cutShort.length).toBe(2);
    await expect.poll(() => server.logger.entries().filter((entry) => entry.route === '/api/llm/openai/v1/chat/completions').map((entry) => entry.status)).toEqual([504, 499]);
  });

  it('streams events as they arrive, without waiting for the rest', async () => {
    const { upstream, llm } = await start(OPENAI);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_stream' });
      res.write('data: {"n":1}\n\n');
      void released.then(() => res.end('data: [DONE]\n\n'));
    });
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o', stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBeNull();
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: {"n":1}\n\n');
    release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it("sends an event stream's headers as soon as they arrive, before its first event", async () => {
    const { upstream, llm } = await start(ANTHROPIC);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_slow_start' });
      res.flushHeaders();
      void released.then(() => res.end('event: message_start\ndata: {}\n\n'));
    });
    // Resolves with the headers: the first event is held upstream until then.
    const response = await fetch(llm('/anthropic/v1/messages'), jsonRequest('POST', { stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toBe('req_slow_start');
    release();
    expect(await response.text()).toBe('event: message_start\ndata: {}\n\n');
  });

  it('aborts the upstream call when the client disconnects mid-stream, and logs the call when it ends', async () => {
    const { upstream, server, llm } = await start(ANTHROPIC);
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_cut' });
      res.write('event: ping\ndata: {}\n\n');
    });
    const controller = new AbortController();
    const response = await fetch(llm('/anthropic/v1/messages'), { ...jsonRequest('POST', { stream: true }), signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    await expect.poll(() => upstream.cutShort.length).toBe(1);
    await expect.poll(() => server.logger.entries().filter((entry) => entry.route === '/api/llm/anthropic/v1/messages')).toEqual([
      expect.objectContaining({ level: 'info', status: 200, upstream_request_id: 'req_cut', provider: 'anthropic' }),
    ]);
  });

  it('aborts the upstream call when the client disconnects before the answer', async () => {
    const { upstream, server, llm } = await start(OPENAI);
    upstream.answerWith(() => {});
    const controller = new AbortController();
    const pending = fetch(llm('/openai/v1/chat/completions'), { ...jsonRequest('POST', { model: 'gpt-4o' }), signal: controller.signal });
    await expect.poll(() => upstream.received.length).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => upstream.cutShort.length).toBe(1);
    await expect.poll(() => server.logger.entries().find((entry) => entry.route === '/api/llm/openai/v1/chat/completions')).toMatchObject({ level: 'info', status: 499 });
  });

  it('sends nothing upstream when the client disconnects mid-body, and logs the call as 499', async () => {
    const { upstream, server, llm } = await start(OPENAI);
    const req = request(llm('/openai/v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
    req.on('error', () => {});
    await new Promise((resolve) => req.write('{"model":"gpt-4o",', resolve));
    await sleep(50); // lets the server start reading the body
    req.destroy();
    await expect.poll(() => server.logger.entries().find((entry) => entry.route === '/api/llm/openai/v1/chat/completions')).toMatchObject({ level: 'info', status: 499 });
    expect(upstream.received).toHaveLength(0);
  });
});

describe('LLM pass-through: refusals', () => {
  it('answers 409 SETTINGS.PROVIDER_MISMATCH naming the stored provider, and 409 SETTINGS.NOT_CONFIGURED', async () => {
    const { upstream, server, llm } = await start(OPENAI);
    const mismatch = await fetch(llm('/anthropic/v1/messages'), jsonRequest('POST', { model: 'm' }));
    expect(mismatch.status).toBe(409);
    expect(mismatch.headers.get('x-should-retry')).toBe('false');
    const problem = (await mismatch.json()) as { detail: string };
    expect(problem).toMatchObject({ code: 'SETTINGS.PROVIDER_MISMATCH', type: 'urn:llm-settings:problem:settings.provider-mismatch' });
    expect(problem.detail).toContain('openai');
    const missing = await fetch(llm('/openai/v1/models'), { headers: { 'llm-settings-scope': 'nobody' } });
    expect(missing.status).toBe(409);
    expect(await missing.json()).toMatchObject({ code: 'SETTINGS.NOT_CONFIGURED' });
    expect(upstream.received).toHaveLength(0);
    expect(server.logger.lines.join('\n')).not.toContain(OPENAI_KEY.slice(10, 18));
  });

  it.each([
    ['an unknown endpoint', 'POST', '/openai/v1/files'],
    ['a model lookup', 'GET', '/openai/v1/models/gpt-4o'],
    ['another spelling', 'POST', '/OpenAI/v1/chat/completions'],
    ['a trailing slash', 'POST', '/openai/v1/chat/completions/'],
    ['a path outside the API', 'GET', '/openai/../../v1/models'],
    ['another provider', 'POST', '/google/v1/generate'],
  ])('answers 404 for %s and forwards nothing', async (_what, method, path) => {
    const { upstream, llm } = await start(OPENAI);
    const response = await fetch(llm(path), { method });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'HTTP.NOT_FOUND' });
    expect(upstream.received).toHaveLength(0);
  });

  it('answers 405 with Allow for another method on a forwarded path', async () => {
    const { llm } = await start(OPENAI);
    const response = await fetch(llm('/openai/v1/chat/completions'));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('POST');
  });

  it.each([
    ['401: a wrong token', 'POST', '/openai/v1/chat/completions', { authorization: `Bearer ${TOKEN}x` }, 401],
    ['403: a request of a page of another site (Fetch Metadata)', 'POST', '/openai/v1/chat/completions', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, 403],
    ['404: an unknown path of OpenAI', 'POST', '/openai/v1/files', {}, 404],
    ['404: an unknown path of Anthropic', 'POST', '/anthropic/v1/complete', {}, 404],
    ['405: another method on a forwarded path', 'GET', '/openai/v1/chat/completions', {}, 405],
  ])('tells the SDK not to retry a refusal made before or without a route, %s', async (_what, method, path, headers: Record<string, string>, status) => {
    const { upstream, llm } = await start(OPENAI, { apiToken: TOKEN });
    const body = method === 'POST' ? '{"model":"gpt-4o"}' : undefined;
    const response = await sendRaw(llm(path), method, { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body);
    expect(response.status, response.text).toBe(status);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.json()).toMatchObject({ status, error: { message: expect.any(String) } });
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a body over maxBodyBytes with 413: by its Content-Length before reading, or as it arrives', async () => {
    const { upstream, llm } = await start(OPENAI);
    const declared = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'x'.repeat(3000) }));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: 'HTTP.PAYLOAD_TOO_LARGE' });
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(llm('/openai/v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"model":"');
      req.end(`${'y'.repeat(3000)}"}`);
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ code: 'HTTP.PAYLOAD_TOO_LARGE' });
    expect((await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'x'.repeat(1900) }))).status).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });

  it('answers 502 UPSTREAM.UNAVAILABLE when the provider cannot be reached, or redirects', async () => {
    const { upstream, server, llm } = await start(OPENAI);
    upstream.answerWith((res) => json(res, 307, {}, { location: 'https://elsewhere.example/v1/chat/completions' }));
    const redirected = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(redirected.status).toBe(502);
    expect(redirected.headers.get('location')).toBeNull();
    expect(await redirected.json()).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE' });
    upstream.answerWith((res) => res.socket?.destroy());
    const dropped = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(dropped.status).toBe(502);
    await upstream.close();
    const down = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(down.status).toBe(502);
    expect(down.headers.get('x-should-retry')).toBeNull();
    const problem = await down.json();
    expect(problem).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE', detail: 'The provider could not be reached.' });
    expect(JSON.stringify(problem)).not.toContain('ECONNREFUSED');
    // The operator's line says why; the caller's answer does not.
    const lines = server.logger.entries().filter((entry) => entry.route === '/api/llm/openai/v1/chat/completions');
    expect(lines.at(-1)).toMatchObject({ level: 'error', status: 502, error_message: 'HttpError: The provider could not be reached. (ECONNREFUSED)' });
  });

  it('answers 502 UPSTREAM.UNAVAILABLE, not to be retried, at once when the provider switches protocols (101), which Node would leave hanging past the deadline', async () => {
    const { upstream, llm } = await start(OPENAI);
    upstream.answerWith((res) => res.socket?.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'));
    const started = performance.now();
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE', detail: 'The provider switched protocols, which is not passed on.' });
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('answers 504 UPSTREAM.TIMEOUT when the provider does not answer within timeoutMs', async () => {
    const { upstream, server, llm } = await start(OPENAI);
    upstream.answerWith(() => {});
    const started = performance.now();
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(response.status).toBe(504);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(await response.json()).toMatchObject({ code: 'UPSTREAM.TIMEOUT' });
    await expect.poll(() => upstream.cutShort.length).toBe(1);
    expect(server.logger.entries().find((entry) => entry.route === '/api/llm/openai/v1/chat/completions')).toMatchObject({ level: 'error', status: 504 });
  });

  it('cuts a stream that outlives timeoutMs', async () => {
    const { upstream, llm } = await start(OPENAI);
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
    });
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o', stream: true }));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(upstream.cutShort).toHaveLength(1);
  });

  it('is not served without the llm option', async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/api/llm/openai/v1/models`);
    expect(response.status).toBe(404);
  });

  it.each([
    [{ baseUrls: { anthropic: 'ftp://x', openai: 'http://127.0.0.1/v1' } }, 'llm.baseUrls.anthropic'],
    [{ baseUrls: { anthropic: 'http://127.0.0.1', openai: 'not a url' } }, 'llm.baseUrls.openai'],
    [{ baseUrls: { anthropic: 'http://gw:s3cret@127.0.0.1', openai: 'http://127.0.0.1/v1' } }, 'llm.baseUrls.anthropic must not hold a user name, password, query or fragment'],
    [{ baseUrls: { anthropic: 'http://127.0.0.1', openai: 'http://127.0.0.1/v1?api-version=1' } }, 'llm.baseUrls.openai must not hold'],
    [{ baseUrls: { anthropic: 'http://127.0.0.1', openai: 'http://127.0.0.1/v1' }, timeoutMs: 0 }, 'llm.timeoutMs'],
    [{ baseUrls: { anthropic: 'http://127.0.0.1', openai: 'http://127.0.0.1/v1' }, maxBodyBytes: 1.5 }, 'llm.maxBodyBytes'],
  ])('refuses unusable options with ConfigError (%o)', (llm, name) => {
    const service = { get: async () => ({}), update: async () => ({}), clear: async () => {}, test: async () => ({}), resolve: async () => ({}) } as never;
    expect(() => createHttpApp({ service, llm })).toThrow(ConfigError);
    expect(() => createHttpApp({ service, llm })).toThrow(name);
    expect(() => createHttpApp({ service, llm })).not.toThrow(/s3cret/);
  });
});

describe('LLM pass-through: the API token', () => {
  it('takes the token as a bearer token or in x-api-key, and forwards neither', async () => {
    const { upstream, llm } = await start(OPENAI, { apiToken: TOKEN });
    expect((await fetch(llm('/openai/v1/models'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(llm('/openai/v1/models'), { headers: { 'x-api-key': TOKEN } })).status).toBe(200);
    for (const sent of upstream.received) expect(JSON.stringify(sent.headers)).not.toContain(TOKEN);
  });

  it.each([
    ['no token', {}, 'Bearer realm="llm-settings"'],
    ['a wrong bearer token', { authorization: `Bearer ${TOKEN}x` }, 'error="invalid_token"'],
    ['a wrong x-api-key', { 'x-api-key': TOKEN.slice(1) }, 'error="invalid_token"'],
    ['the token without a scheme', { authorization: TOKEN }, 'error="invalid_token"'],
  ])('refuses %s with 401 before reading settings or calling out', async (_what, headers, challenge) => {
    const { upstream, llm } = await start(OPENAI, { apiToken: TOKEN });
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }, headers));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(challenge);
    expect(upstream.received).toHaveLength(0);
  });

  it('keeps the settings routes on bearer tokens only', async () => {
    const { server } = await start(OPENAI, { apiToken: TOKEN });
    expect((await fetch(`${server.url}/api/settings/llm`, { headers: { 'x-api-key': TOKEN } })).status).toBe(401);
  });
});

/** Every run of 8 characters of `key`. */
function runsOf(key: string): string[] {
  return Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8));
}

describe('LLM pass-through: provider errors', () => {
  it('replaces 401 and 403 bodies, which may quote the key, by a fixed one in the provider shape', async () => {
    const { upstream, llm } = await start(OPENAI);
    const echo = `${OPENAI_KEY.slice(0, 8)}${'*'.repeat(20)}${OPENAI_KEY.slice(-4)}`;
    upstream.answerWith((res) => json(res, 401, { error: { message: `Incorrect API key provided: ${echo} (${OPENAI_KEY})`, type: 'invalid_request_error', code: 'invalid_api_key' } }, { 'x-request-id': 'req_401' }));
    const response = await fetch(llm('/openai/v1/models'));
    expect(response.status).toBe(401);
    expect(response.headers.get('x-upstream-request-id')).toBe('req_401');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { message: expect.stringContaining('refused the API key'), type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
    });
    for (const run of runsOf(OPENAI_KEY)) expect(text).not.toContain(run);
  });

  it('passes other errors with key-shaped text and masked echoes redacted', async () => {
    const { upstream, llm } = await start(ANTHROPIC);
    upstream.answerWith((res) =>
      json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `bad key sk-ant-api03-abcdefgh, ****wxyz, ...wxyz; max_tokens too large` } }, { 'retry-after': '1' }),
    );
    const response = await fetch(llm('/anthropic/v1/messages'), jsonRequest('POST', { model: 'm' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('x-should-retry')).toBeNull();
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'bad key [REDACTED], [REDACTED], [REDACTED]; max_tokens too large' },
    });
  });

  it('replaces an error body over 64 KiB', async () => {
    const { upstream, llm } = await start(ANTHROPIC);
    upstream.answerWith((res) => json(res, 500, { error: 'x'.repeat(70_000) }));
    const response = await fetch(llm('/anthropic/v1/messages'), jsonRequest('POST', { model: 'm' }));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('too large') } });
  });

  it('gives the same answer whether a guess in the request is part of the key or not (no key oracle)', async () => {
    const { upstream, llm } = await start(OPENAI);
    // The way providers quote a caller's model in their errors.
    upstream.answerWith((res, received) =>
      json(res, 404, { error: { message: `The model '${JSON.parse(received.body.toString()).model}' does not exist`, type: 'invalid_request_error', code: 'model_not_found' } }),
    );
    const answerFor = async (guess: string) => {
      const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: guess }));
      const headers = [...response.headers].filter(([name]) => !['date', 'x-request-id'].includes(name));
      return { status: response.status, headers, body: (await response.text()).split(guess).join('<guess>') };
    };
    // Each guess against the same guess with its last character changed: same shape, not part of the key.
    const guesses = [
      OPENAI_KEY.slice(10, 18),
      OPENAI_KEY.slice(8, 24),
      OPENAI_KEY,
      `${OPENAI_KEY.slice(0, 8)}****${OPENAI_KEY.slice(-4)}`,
      `...${OPENAI_KEY.slice(-4)}`,
    ];
    const changed = (guess: string) => `${guess.slice(0, -1)}${guess.endsWith('a') ? 'b' : 'a'}`;
    for (const guess of guesses) {
      expect(OPENAI_KEY.includes(changed(guess).slice(-8))).toBe(false);
      expect(await answerFor(guess), guess).toEqual(await answerFor(changed(guess)));
    }
  });
});

/** A gateway's key: no `sk-` prefix, so only the stored key itself can find its echoes. */
const GATEWAY_KEY = 'gwk7Rt2Yp9Lm4Xs8Qd3Vb6Nh1Zc5Fj0Ka7We2Ug9Io4';
const GATEWAY = { provider: 'openai', api_key: GATEWAY_KEY } as const;
/** How a provider may echo the key: whole, a run from its middle, masked. */
const ECHOES = [GATEWAY_KEY, GATEWAY_KEY.slice(12, 24), `${'*'.repeat(8)}${GATEWAY_KEY.slice(-4)}`, `...${GATEWAY_KEY.slice(-4)}`];

/** What of the gateway key `text` holds: the whole key, a run of 8 of its secret part (all but its last four), its masked echo. */
function keyMaterialIn(text: string): string[] {
  const secret = GATEWAY_KEY.slice(0, -4);
  const runs = Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
  return [GATEWAY_KEY, ...runs, `*${GATEWAY_KEY.slice(-4)}`, `.${GATEWAY_KEY.slice(-4)}`].filter((material) => text.includes(material));
}

describe('LLM pass-through: the stored key echoed back', () => {
  it.each([200, 400, 401, 404, 429, 500])('scrubs the key, whatever its shape, from every passed header and the body of a %i', async (status) => {
    const { upstream, llm } = await start(GATEWAY);
    upstream.answerWith((res) =>
      json(res, status, { error: { message: `echo ${ECHOES.join(' | ')}` } }, {
        'x-request-id': `req_${GATEWAY_KEY}`,
        'openai-version': ECHOES[1]!,
        'x-ratelimit-limit-requests': ECHOES[2]!,
        'retry-after': ECHOES[3]!,
      }),
    );
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(response.status).toBe(status);
    const headers = JSON.stringify([...response.headers]);
    expect(headers).toContain('[REDACTED]');
    expect(keyMaterialIn(headers)).toEqual([]);
    expect(keyMaterialIn(await response.text())).toEqual([]);
  });

  it('scrubs a 2xx JSON answer and leaves the rest of it byte for byte', async () => {
    const { upstream, llm } = await start(GATEWAY);
    upstream.answerWith((res) => json(res, 200, { id: 'chatcmpl-1', debug: { key: GATEWAY_KEY }, text: 'Wait...what? ü' }));
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o' }));
    expect(await response.text()).toBe(JSON.stringify({ id: 'chatcmpl-1', debug: { key: '[REDACTED]' }, text: 'Wait...what? ü' }));
  });

  it('scrubs an event stream whose key echo is split across chunks, and sends each event as it comes', async () => {
    const { upstream, llm } = await start(GATEWAY);
    let next: () => void = () => {};
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunks = [`data: {"a":"${GATEWAY_KEY.slice(0, 20)}`, `${GATEWAY_KEY.slice(20)}"}\n\n`, 'data: {"b":"second"}\n\n', 'data: [DONE]\n\n'];
      const write = () => {
        const chunk = chunks.shift();
        if (chunk === undefined) res.end();
        else res.write(chunk);
      };
      next = write;
      write();
    });
    const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: 'gpt-4o', stream: true }));
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (end: string) => {
      while (!text.endsWith(end)) text += (await reader.read()).value ?? '';
    };
    next();
    await until('"}\n\n');
    expect(text).toBe('data: {"a":"[REDACTED]"}\n\n');
    // The second event arrives alone, and is passed on without waiting for more.
    next();
    await until('second"}\n\n');
    next();
    next();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toBe('data: {"a":"[REDACTED]"}\n\ndata: {"b":"second"}\n\ndata: [DONE]\n\n');
  });

  it('gives the same 2xx answer and headers whether a guess the provider echoes is part of the key or not (no key oracle)', async () => {
    const { upstream, llm } = await start(GATEWAY);
    upstream.answerWith((res, received) => {
      const { model } = JSON.parse(received.body.toString()) as { model: string };
      json(res, 200, { model, content: `You said ${model}` }, { 'openai-version': model });
    });
    const answerFor = async (guess: string) => {
      const response = await fetch(llm('/openai/v1/chat/completions'), jsonRequest('POST', { model: guess }));
      const headers = [...response.headers].filter(([name]) => !['date', 'x-request-id'].includes(name));
      return { status: response.status, headers: JSON.stringify(headers).split(guess).join('<guess>'), body: (await response.text()).split(guess).join('<guess>') };
    };
    const changed = (guess: string) => `${guess.slice(0, -1)}${guess.endsWith('a') ? 'b' : 'a'}`;
    for (const guess of [GATEWAY_KEY.slice(3, 11), GATEWAY_KEY.slice(5, 30), GATEWAY_KEY, `****${GATEWAY_KEY.slice(-4)}`]) {
      const right = await answerFor(guess);
      expect(right.body, guess).toContain('<guess>');
      expect(right, guess).toEqual(await answerFor(changed(guess)));
    }
  });
});

describe('LLM pass-through: logs', () => {
  it('logs provider, scope and the provider request id, never a body or a key', async () => {
    const { upstream, server, llm } = await start(null);
    await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', ANTHROPIC, { 'llm-settings-scope': 'tenant-a' }));
    upstream.answerWith((res) => json(res, 404, { error: 'nope' }, { 'request-id': `req_${ANTHROPIC_KEY.slice(20, 30)}` }));
    await fetch(llm('/anthropic/v1/messages'), jsonRequest('POST', { model: 'secret-prompt-text' }, { 'llm-settings-scope': 'tenant-a' }));
    await sleep(20);
    const line = server.logger.entries().find((entry) => entry.route === '/api/llm/anthropic/v1/messages');
    expect(line).toEqual({
      level: 'info',
      msg: 'http request',
      request_id: expect.any(String),
      method: 'POST',
      route: '/api/llm/anthropic/v1/messages',
      status: 404,
      duration_ms: expect.any(Number),
      actor: 'admin',
      provider: 'anthropic',
      scope: 'tenant-a',
      upstream_request_id: `req_[REDACTED]${ANTHROPIC_KEY.slice(28, 30)}`,
    });
    const logs = server.logger.lines.join('\n');
    expect(logs).not.toContain('secret-prompt-text');
    for (const run of runsOf(ANTHROPIC_KEY)) expect(logs).not.toContain(run);
  });
});

/** A POST through Node's client, which shows the framing headers fetch hides. */
function rawPost(url: string): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end('{"model":"gpt-4o"}');
  });
}
