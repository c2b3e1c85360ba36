import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LlmSettingsService, type LogFields, type Logger } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/index.js';
import { ANTHROPIC_KEY, jsonRequest, startServer, wrapStore, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Every run of 8 characters of `secret`: none may appear in a log line. */
function runsOf(secret: string, length = 8): string[] {
  return Array.from({ length: secret.length - length + 1 }, (_, i) => secret.slice(i, i + length));
}

function expectNoSecretIn(lines: readonly string[], secret: string): void {
  const runs = runsOf(secret);
  for (const line of lines) {
    const leaked = runs.find((run) => line.includes(run));
    expect(leaked, `log line leaks part of a secret: ${line}`).toBeUndefined();
  }
}

const requestLines = (s: TestServer) => s.logger.entries().filter((entry) => entry.msg === 'http request' || entry.msg === 'http request failed');

describe('request log', () => {
  it('writes one line per request with id, method, route pattern, status and duration', async () => {
    server = await startServer();
    await fetch(`${server.url}/api/settings/llm?debug=1`, { headers: { 'x-request-id': 'req-123' } });
    await fetch(`${server.url}/api/settings/llm/test`, { method: 'POST' });
    await fetch(`${server.url}/no/such/path`);

    const lines = requestLines(server);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ level: 'info', msg: 'http request', request_id: 'req-123', method: 'GET', route: '/api/settings/llm', status: 200, duration_ms: expect.any(Number), actor: 'admin' });
    expect(lines[1]).toMatchObject({ method: 'POST', route: '/api/settings/llm/test', status: 409, error_code: 'SETTINGS.NOT_CONFIGURED' });
    expect(lines[2]).toMatchObject({ method: 'GET', route: null, status: 404, error_code: 'HTTP.NOT_FOUND' });
    for (const line of server.logger.lines) expect(line).not.toContain('debug=1');
    for (const line of server.logger.lines) expect(line).not.toContain('/no/such/path');
  });

  it("logs a client that goes away while its body is read as the client's doing: info, with the request id", async () => {
    server = await startServer();
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'PUT /api/settings/llm HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: gone-mid-body\r\n' +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"provider":"openai",',
    );
    await sleep(50);
    socket.destroy();
    await expect.poll(() => requestLines(server!).length).toBe(1);
    await sleep(50);
    const entries = server.logger.entries();
    expect(entries.filter((entry) => entry.level === 'error' || entry.level === 'warn')).toEqual([]);
    expect(requestLines(server)[0]).toMatchObject({ level: 'info', request_id: 'gone-mid-body', method: 'PUT', route: '/api/settings/llm' });
    expect(entries).toContainEqual(expect.objectContaining({ level: 'info', msg: 'client closed the connection', request_id: 'gone-mid-body' }));
    expect(await (await fetch(`${server.url}/api/settings/llm`)).json()).toMatchObject({ api_key_set: false });
  });

  it('echoes a valid X-Request-Id and replaces an invalid one with a generated UUID', async () => {
    server = await startServer();
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc.DEF_123:xyz' } });
    expect(kept.headers.get('x-request-id')).toBe('abc.DEF_123:xyz');

    for (const invalid of ['x'.repeat(129), 'has space', 'quote"inject', '']) {
      const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': invalid } });
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(requestLines(server).at(-1)).toMatchObject({ request_id: id });
    }
    const generated = new Set(requestLines(server).slice(1).map((line) => line.request_id));
    expect(generated.size).toBe(4);
  });

  it('logs a 500 at error level with its code and a redacted message', async () => {
    const store = wrapStore(createMemorySettingsStore(), {
      async get() {
        throw new Error(`driver failure while handling ${ANTHROPIC_KEY}`);
      },
    });
    server = await startServer({ store });
    await fetch(`${server.url}/api/settings/llm`);
    const [line] = requestLines(server);
    expect(line).toMatchObject({ level: 'error', msg: 'http request failed', status: 500, error_code: 'INTERNAL' });
    expect(line!.error_message).toBe('Error: driver failure while handling [REDACTED]');
    expectNoSecretIn(server.logger.lines, ANTHROPIC_KEY);
  });

  it('writes the line once the answer is sent, so that writing it never delays the answer', async () => {
    // What each request line saw of the answer being served when it was written.
    const answerSent: Array<{ msg: string; sent: boolean }> = [];
    let answer: ServerResponse | undefined;
    const record = (_fields: LogFields, msg: string) => answerSent.push({ msg, sent: answer?.writableFinished === true });
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const store = wrapStore(createMemorySettingsStore(), {
      async delete() {
        throw new Error('driver failure');
      },
    });
    const service = new LlmSettingsService({ store, cipher: createMemoryCipher(), probe: createScriptedProbe() });
    const handle = createHttpApp({ service, logger }).callback();
    const http = createServer((req, res) => {
      answer = res;
      void handle(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      for (const [path, init] of [['/api/settings/llm', {}], ['/no/such/path', {}], ['/api/settings/llm', { method: 'DELETE' }]] as const) {
        await (await fetch(`${url}${path}`, init)).arrayBuffer();
      }
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
    expect(answerSent).toEqual([
      { msg: 'http request', sent: true },
      { msg: 'http request', sent: true },
      { msg: 'http request failed', sent: true },
    ]);
  });
});

describe('log redaction', () => {
  it('never logs any 8-character run of an API key, whatever carries it', async () => {
    // A gateway key that does not look like a provider key: only redaction by value catches it.
    const gatewayKey = 'gw1live9QmZxTr4Vb7Np2Lk8Hs5Jd3Fc6Yw0';
    const store = wrapStore(createMemorySettingsStore(), {
      async set() {
        // A driver that puts a key-shaped value in its error.
        throw new Error(`constraint failed near ${ANTHROPIC_KEY}`);
      },
    });
    // A faulty probe that throws instead of returning an outcome, echoing the key it was given.
    const probe = createScriptedProbe((request) => {
      throw new Error(`upstream rejected ${request.apiKey}`);
    });
    server = await startServer({ store, probe });
    const settings = `${server.url}/api/settings/llm`;
    const requests: Array<[string, RequestInit]> = [
      [settings, jsonRequest('PUT', { provider: 'anthropic', api_key: ANTHROPIC_KEY })],
      [settings, jsonRequest('PUT', { provider: 'openai', api_key: gatewayKey })],
      [settings, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: `{"provider":"anthropic","api_key":"${ANTHROPIC_KEY}"` }],
      [settings, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: `{"api_key":"${gatewayKey}","__proto__":{}}` }],
      [settings, jsonRequest('PUT', { provider: 'mistral', api_key: ANTHROPIC_KEY, extra: gatewayKey })],
      [settings, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: ANTHROPIC_KEY }],
      [`${settings}/test`, jsonRequest('POST', { provider: 'anthropic', api_key: ANTHROPIC_KEY })],
      [`${settings}/test`, jsonRequest('POST', { provider: 'openai', api_key: gatewayKey })],
      [`${settings}/test`, jsonRequest('POST', { provider: 'openai', api_key: gatewayKey, model: 'x'.repeat(20_000) })],
      [`${settings}?api_key=${ANTHROPIC_KEY}`, { headers: { authorization: `Bearer ${ANTHROPIC_KEY}`, 'x-api-key': gatewayKey } }],
      [`${server.url}/${ANTHROPIC_KEY}/${gatewayKey}`, {}],
      [settings, { headers: { 'x-request-id': ANTHROPIC_KEY } }],
    ];
    for (const [url, init] of requests) await fetch(url, init);

    expect(requestLines(server)).toHaveLength(requests.length);
    const messages = server.logger.entries().map((entry) => entry.error_message);
    expect(messages).toContain('Error: constraint failed near [REDACTED]');
    expect(messages.filter((message) => message === 'Error: upstream rejected [REDACTED]')).toHaveLength(2);
    expectNoSecretIn(server.logger.lines, ANTHROPIC_KEY);
    expectNoSecretIn(server.logger.lines, gatewayKey);
  });

  it('finds a leak when there is one (the check itself works)', () => {
    expect(() => expectNoSecretIn([`prefix ${ANTHROPIC_KEY.slice(20, 28)} suffix`], ANTHROPIC_KEY)).toThrow();
  });
});
