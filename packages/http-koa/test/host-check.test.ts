import { request } from 'node:http';
import { connect } from 'node:net';
import { ConfigError } from '@llm-settings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/index.js';
import { OPENAI_KEY, startServer, type TestServer } from './helpers.js';

/*
 * DNS rebinding: a page at attacker.example rebinds its name to 127.0.0.1, so the
 * browser sends its requests to this port with `Host: attacker.example`. (A page that
 * calls http://127.0.0.1:PORT directly, with its own `Origin`, is refused by the API
 * routes' browser check: browser-request-check.test.ts.)
 */

const CONFIGURED = 'settings.example.com';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const port = (s: TestServer) => new URL(s.url).port;

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
  json(): any;
}

/** One request through node:http, which sends the Host header given (fetch always sets its own). */
function send(s: TestServer, method: string, path: string, headers: Record<string, string>, body?: object): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const allHeaders = payload === undefined ? headers : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers };
  return new Promise((resolve, reject) => {
    const req = request(s.url, { method, path, headers: allHeaders, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The raw answer to `requestText` sent on a plain socket, for requests node:http will not send. */
function sendRaw(s: TestServer, requestText: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port(s)), '127.0.0.1', () => socket.end(requestText));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

const PUT_BODY = { provider: 'openai', api_key: OPENAI_KEY };

async function storedView(s: TestServer): Promise<unknown> {
  return (await send(s, 'GET', '/api/settings/llm', {})).json();
}

async function storedKeys(s: TestServer): Promise<string[]> {
  const keys: string[] = [];
  for await (const record of s.store.list()) keys.push(record.key);
  return keys;
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(answer.json()).toMatchObject({ status, code, type: `urn:llm-settings:problem:${code.toLowerCase().replace(/_/g, '-')}` });
}

describe('Host check, with allowedHosts', () => {
  it('refuses a rebound Host with 421 before any route runs: a PUT stores nothing', async () => {
    server = await startServer({ allowedHosts: [CONFIGURED] });
    const refused = await send(server, 'PUT', '/api/settings/llm', { host: `evil.example:${port(server)}` }, PUT_BODY);
    expectProblem(refused, 421, 'HTTP.MISDIRECTED_REQUEST');
    expect(await storedView(server)).toMatchObject({ api_key_set: false });
    expect(await storedKeys(server)).toEqual([]);
  });

  it('logs the refusal as a problem without the Host it refused', async () => {
    server = await startServer({ allowedHosts: [CONFIGURED] });
    await send(server, 'GET', '/api/settings/llm', { host: 'evil.example' });
    const line = server.logger.entries().find((entry) => entry.status === 421);
    expect(line).toMatchObject({ msg: 'http request', route: null, error_code: 'HTTP.MISDIRECTED_REQUEST' });
    for (const text of server.logger.lines) expect(text).not.toContain('evil.example');
  });

  it.each([
    ['localhost with the port', (p: string) => `localhost:${p}`],
    ['127.0.0.1 with the port', (p: string) => `127.0.0.1:${p}`],
    ['another 127/8 address', () => '127.4.5.6'],
    ['[::1] with the port', (p: string) => `[::1]:${p}`],
    ['LOCALHOST. (case and a trailing dot)', () => 'LOCALHOST.'],
    ['the configured name', () => CONFIGURED],
    ['the configured name in another case, with a port and a trailing dot', () => 'Settings.Example.COM.:8443'],
  ])('accepts %s', async (_what, host) => {
    server = await startServer({ allowedHosts: [CONFIGURED] });
    const answer = await send(server, 'GET', '/api/settings/llm', { host: host(port(server)) });
    expect(answer.status, answer.text).toBe(200);
  });

  it.each([
    ['another name', 'evil.example'],
    ['a name that starts like localhost', 'localhost.evil.example'],
    ['a name that starts like a loopback address', '127.0.0.1.evil.example'],
    ['a name that ends like the configured one', `evil-${CONFIGURED}`],
    ['a subdomain of the configured name', `evil.${CONFIGURED}`],
    ['a non-loopback IPv6 address', '[::2]'],
    ['the wildcard address', '0.0.0.0'],
    ['userinfo', 'user@localhost'],
    ['a path', 'localhost/x'],
    ['a non-numeric port', 'localhost:http'],
    ['an unbracketed IPv6 address', '::1'],
    ['two hosts', 'localhost, evil.example'],
  ])('refuses %s with 421', async (_what, host) => {
    server = await startServer({ allowedHosts: [CONFIGURED] });
    expectProblem(await send(server, 'GET', '/api/settings/llm', { host }), 421, 'HTTP.MISDIRECTED_REQUEST');
  });

  it.each([
    ['an HTTP/1.0 request without Host', 'GET /api/settings/llm HTTP/1.0\r\n\r\n'],
    ['an empty Host', 'GET /api/settings/llm HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n'],
  ])('refuses %s', async (_what, requestText) => {
    server = await startServer({ allowedHosts: [] });
    const answer = await sendRaw(server, requestText);
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(answer).toContain('"code":"HTTP.MISDIRECTED_REQUEST"');
  });

  it('applies to every route, the open ones and unknown paths included', async () => {
    server = await startServer({ allowedHosts: [] });
    for (const path of ['/healthz', '/readyz', '/api/openapi.json', '/no/such/path']) {
      expectProblem(await send(server, 'GET', path, { host: 'evil.example' }), 421, 'HTTP.MISDIRECTED_REQUEST');
    }
  });

  it('runs before the token check, and a rebound request with the right token is still refused', async () => {
    server = await startServer({ allowedHosts: [], apiToken: 'a-token-of-enough-length' });
    const refused = await send(server, 'PUT', '/api/settings/llm', { host: 'evil.example', authorization: 'Bearer a-token-of-enough-length' }, PUT_BODY);
    expectProblem(refused, 421, 'HTTP.MISDIRECTED_REQUEST');
    expect(await storedKeys(server)).toEqual([]);
  });

  it('is off without allowedHosts: any Host is served', async () => {
    server = await startServer();
    const answer = await send(server, 'GET', '/api/settings/llm', { host: 'evil.example' });
    expect(answer.status).toBe(200);
  });

  it('refuses an unusable entry at creation, naming its position and never its value', () => {
    const create = () => createHttpApp({ service: {} as never, allowedHosts: ['ok.example', 'http://secret-name.example/'] });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/allowedHosts entry 2 /);
    expect(create).not.toThrow(/secret-name/);
    expect(() => createHttpApp({ service: {} as never, allowedHosts: ['[fd00::1]:8080', '10.0.0.5', 'llm_settings'] })).not.toThrow();
  });
});

describe('Origin check, with allowedHosts', () => {
  it.each([
    ['another site', 'http://evil.example'],
    ['another site on the same port', 'http://evil.example:8080'],
    ['localhost on another port', 'http://localhost:3000'],
    ['the configured name, when the request was sent to another', `https://${CONFIGURED}`],
    ['a sandboxed or file page (null)', 'null'],
    ['a malformed origin', 'not an origin'],
  ])('refuses %s with 403 before the route runs', async (_what, origin) => {
    server = await startServer({ allowedHosts: [CONFIGURED] });
    const refused = await send(server, 'PUT', '/api/settings/llm', { origin }, PUT_BODY);
    expectProblem(refused, 403, 'HTTP.FORBIDDEN_ORIGIN');
    expect(await storedKeys(server)).toEqual([]);
  });

  it.each([
    ['the same host and port', (p: string) => ({ origin: `http://127.0.0.1:${p}` })],
    ['the configured name, behind a TLS-terminating proxy that keeps the Host', () => ({ host: CONFIGURED, origin: `https://${CONFIGURED}` })],
  ])('serves a page from %s', async (_what, headers) => {
    server = await startServer({ allowedHosts: [CONFIGURED] });
    const answer = await send(server, 'PUT', '/api/settings/llm', headers(port(server)), PUT_BODY);
    expect(answer.status, answer.text).toBe(200);
  });

  it('serves requests without Origin (curl, SDKs, other servers)', async () => {
    server = await startServer({ allowedHosts: [] });
    expect((await send(server, 'PUT', '/api/settings/llm', {}, PUT_BODY)).status).toBe(200);
  });
});
