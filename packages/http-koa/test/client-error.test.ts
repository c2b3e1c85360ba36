import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { LlmSettingsService } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { clientErrorListener, createHttpApp } from '../src/index.js';
import { createCapturingLogger, type CapturingLogger } from './helpers.js';

const TOKEN = 'client-error-test-token-0123456789';
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The app on a real port, its Node server given `clientErrorListener` as `serve` gives it. */
async function start(options: { requestTimeout?: number } = {}): Promise<{ port: number; logger: CapturingLogger }> {
  const logger = createCapturingLogger();
  const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe(), logger });
  const app = createHttpApp({ service, logger, apiToken: TOKEN });
  const timeouts = options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout, connectionsCheckingInterval: 50 };
  const server = createServer(timeouts, app.callback());
  server.on('clientError', clientErrorListener(logger));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, logger };
}

/** Sends `parts` in turn on one connection, each once the answers before it came, and returns all it read until the server closed. */
async function exchange(port: number, parts: readonly string[], settle = 100): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const part of parts) {
    socket.write(part);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, settle))]);
  }
  await closed;
  return received;
}

/** Splits one HTTP answer into its status, lower-cased headers and body. */
function parse(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = answer.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('clientErrorListener', () => {
  it('answers a header Node refuses with a 400 problem, the common headers and a logged request id, then closes', async () => {
    const { port, logger } = await start();
    const answer = parse(await exchange(port, [`GET /api/settings/llm HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nBad Header: x\r\n\r\n`]));
    expect(answer.status).toBe(400);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
      connection: 'close',
    });
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(JSON.parse(answer.body)).toEqual({
      type: 'urn:llm-settings:problem:http.malformed-request',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is not well-formed HTTP.',
      code: 'HTTP.MALFORMED_REQUEST',
    });
    const requestId = answer.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logger.entries()).toEqual([
      { level: 'info', request_id: requestId, method: null, route: null, status: 400, error_code: 'HTTP.MALFORMED_REQUEST', msg: 'http request refused by the parser' },
    ]);
    expect(logger.lines.join('\n')).not.toContain(TOKEN);
  });

  it('answers headers over Node’s limit with a 431 problem, the token they carried in neither the answer nor the log', async () => {
    const { port, logger } = await start();
    const raw = await exchange(port, [`GET /api/settings/llm HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`]);
    const answer = parse(raw);
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'HTTP.HEADERS_TOO_LARGE', title: 'Request Header Fields Too Large' });
    expect(raw).not.toContain(TOKEN);
    expect(logger.lines.join('\n')).not.toContain(TOKEN);
    expect(logger.entries()).toMatchObject([{ status: 431, error_code: 'HTTP.HEADERS_TOO_LARGE' }]);
  });

  it('answers a request not whole within the server’s requestTimeout with a 408 problem', async () => {
    const { port } = await start({ requestTimeout: 200 });
    const answer = parse(await exchange(port, ['GET /api/settings/llm HTTP/1.1\r\nHost: localhost\r\n']));
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 408, code: 'HTTP.REQUEST_TIMEOUT' });
  });

  it('closes unanswered a connection that already sent an answer: a write could land inside one', async () => {
    const { port, logger } = await start();
    const raw = await exchange(port, [`GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'NOT HTTP AT ALL\r\n\r\n']);
    // The health answer, whole, and nothing after it.
    const answer = parse(raw);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
    expect(logger.entries().map((entry) => entry.msg)).toEqual(['http request']);
  });
});
