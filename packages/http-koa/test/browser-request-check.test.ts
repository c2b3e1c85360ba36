import { createScriptedProbe } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PASS_THROUGH_ROUTES, passThroughPath } from '../src/llm-pass-through.js';
import { OPENAI_KEY, jsonRequest, startServer, type TestServer, type TestServerOptions } from './helpers.js';
import { sendRaw, startRecordingUpstream, type RawAnswer, type RecordingUpstream } from './recording-upstream.js';

/*
 * Pages of other origins, the same machine's other ports included, reach the API through
 * the browser: fetch, no-cors fetch, forms, <img> and <script>. Chromium marks them with
 * Origin (not on GETs) and Fetch Metadata; these requests carry what it sends.
 */

let server: TestServer | undefined;
let upstream: RecordingUpstream | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  server = upstream = undefined;
});

const BODY = JSON.stringify({ model: 'gpt-4o', messages: [] });

/** Every API route, as method and path; the pass-through's included. */
const API_ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/api/settings/llm'],
  ['PUT', '/api/settings/llm'],
  ['DELETE', '/api/settings/llm'],
  ['POST', '/api/settings/llm/test'],
  ['GET', '/api/settings/llm/models'],
  ['POST', '/api/settings/llm/models'],
  ...PASS_THROUGH_ROUTES.map((route) => [route.method, passThroughPath(route)] as const),
];

/** A server with the pass-through pointed at a recording upstream and an OpenAI key stored. */
async function start(options: TestServerOptions = {}) {
  upstream = await startRecordingUpstream();
  const probe = createScriptedProbe();
  server = await startServer({ probe, llm: { baseUrls: { anthropic: upstream.url, openai: `${upstream.url}/v1` } }, ...options });
  const auth: Record<string, string> = options.apiToken === undefined ? {} : { authorization: `Bearer ${options.apiToken}` };
  expect((await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, auth))).status).toBe(200);
  return { server, upstream, probe, host: new URL(server.url).host, port: new URL(server.url).port };
}

function send(s: TestServer, method: string, path: string, headers: Record<string, string>, contentType = 'application/json'): Promise<RawAnswer> {
  const body = method === 'POST' || method === 'PUT' ? BODY : undefined;
  return sendRaw(`${s.url}${path}`, method, body === undefined ? headers : { 'content-type': contentType, ...headers }, body);
}

function expectForbidden(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what}: ${answer.text}`).toBe(403);
  expect(answer.json()).toMatchObject({ status: 403, code: 'HTTP.FORBIDDEN_ORIGIN', type: 'urn:llm-settings:problem:http.forbidden-origin' });
}

/** What Chromium sends for each way a page of http://localhost:3000 reaches http://127.0.0.1:<port>. */
const FROM_ANOTHER_PORT = {
  'fetch (cors)': { origin: 'http://localhost:3000', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' },
  'no-cors fetch': { origin: 'http://localhost:3000', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
  'form post': { origin: 'http://localhost:3000', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
  '<img> or <script> (no Origin)': { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
  'a link (no Origin)': { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
} as const;

describe('browser requests from other origins, in the default configuration (no allowedHosts, no token)', () => {
  it.each(Object.entries(FROM_ANOTHER_PORT))('refuses a page on another port by %s on every API route, calling nothing', async (_how, headers) => {
    const { server, upstream, probe } = await start();
    for (const [method, path] of API_ROUTES) expectForbidden(await send(server, method, path, headers), `${method} ${path}`);
    expect(upstream.received).toEqual([]);
    expect(probe.calls).toEqual([]);
    expect((await sendRaw(`${server.url}/api/settings/llm`, 'GET', {})).json()).toMatchObject({ provider: 'openai', api_key_set: true });
  });

  it('refuses an Origin that differs from the server by its port only, its host only, or is null', async () => {
    const { server, upstream, port } = await start();
    for (const origin of [`http://127.0.0.1:${Number(port) + 1}`, 'http://127.0.0.1', `http://localhost:${port}`, `http://127.0.0.2:${port}`, 'null', 'not an origin']) {
      expectForbidden(await send(server, 'POST', '/api/llm/openai/v1/chat/completions', { origin }), origin);
    }
    expect(upstream.received).toEqual([]);
  });

  it("serves the server's own origin (exactly the Host the request was sent to), under http and https", async () => {
    const { server, upstream, host } = await start();
    for (const origin of [`http://${host}`, `https://${host}`]) {
      const answer = await send(server, 'POST', '/api/llm/openai/v1/chat/completions', { origin, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' });
      expect(answer.status, answer.text).toBe(200);
    }
    // The same page reached under another name of this machine is served under that name.
    const other = await send(server, 'GET', '/api/settings/llm', { host: 'localhost', origin: 'http://localhost' });
    expect(other.status, other.text).toBe(200);
    expect(upstream.received).toHaveLength(2);
  });

  it('serves the requests a browser marks as its own (same-origin, or typed by the user) and those of clients that mark nothing', async () => {
    const { server, upstream } = await start();
    const marks: Array<Record<string, string>> = [{ 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' }, { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' }, {}];
    for (const headers of marks) {
      const answer = await send(server, 'GET', '/api/llm/openai/v1/models', headers);
      expect(answer.status, JSON.stringify(headers)).toBe(200);
    }
    expect(upstream.received.map((request) => request.url)).toEqual(['/v1/models', '/v1/models', '/v1/models']);
  });

  it("refuses a no-cors request of the server's own origin too: no page of it loads the API as an image or a script", async () => {
    const { server, upstream } = await start();
    expectForbidden(await send(server, 'GET', '/api/llm/openai/v1/models', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors' }), 'no-cors');
    expect(upstream.received).toEqual([]);
  });

  it('refuses a page of a sibling site (same-site) without an Origin', async () => {
    const { server } = await start();
    expectForbidden(await send(server, 'GET', '/api/settings/llm', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' }), 'same-site');
  });

  it('serves the open routes to images, scripts and links of any page, and refuses the Origin of another', async () => {
    const { server } = await start({ settingsUi: true });
    for (const path of ['/healthz', '/readyz', '/api/openapi.json', '/', '/ui/app.js', '/ui/icon.svg']) {
      expect((await send(server, 'GET', path, FROM_ANOTHER_PORT['<img> or <script> (no Origin)'])).status, path).toBe(200);
      expect((await send(server, 'GET', path, FROM_ANOTHER_PORT['a link (no Origin)'])).status, path).toBe(200);
      expectForbidden(await send(server, 'GET', path, FROM_ANOTHER_PORT['fetch (cors)']), path);
    }
  });

  it('runs before the token check: the right token does not let a page of another origin in', async () => {
    const apiToken = 'browser-check-token-0123456789';
    const { server, upstream } = await start({ apiToken });
    const answer = await send(server, 'POST', '/api/llm/openai/v1/chat/completions', { ...FROM_ANOTHER_PORT['fetch (cors)'], authorization: `Bearer ${apiToken}` });
    expectForbidden(answer, 'with the token');
    expect(upstream.received).toEqual([]);
  });

  it('holds with allowedHosts too, where the port was ignored before', async () => {
    const { server, upstream } = await start({ allowedHosts: [] });
    for (const [method, path] of API_ROUTES) expectForbidden(await send(server, method, path, FROM_ANOTHER_PORT['no-cors fetch']), `${method} ${path}`);
    expect(upstream.received).toEqual([]);
  });
});

describe('browser requests from a listed CORS origin', () => {
  const FRONTEND = 'https://admin.example.com';

  it('serves them cross-site, and still refuses their no-cors requests and other origins', async () => {
    const { server, upstream } = await start({ corsOrigins: [FRONTEND] });
    const allowed = await send(server, 'POST', '/api/llm/openai/v1/chat/completions', { origin: FRONTEND, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' });
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(FRONTEND);
    expectForbidden(await send(server, 'POST', '/api/llm/openai/v1/chat/completions', { origin: FRONTEND, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }), 'no-cors');
    expectForbidden(await send(server, 'GET', '/api/settings/llm', { origin: 'https://admin.example.com:8443', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }), 'other port');
    expect(upstream.received).toHaveLength(1);
  });
});

describe('pass-through request bodies', () => {
  it.each([
    ['text/plain, which a page sends without a preflight', 'text/plain'],
    ['a form encoding', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', ''],
  ])('refuses %s with 415 before anything goes upstream', async (_what, contentType) => {
    const { server, upstream } = await start();
    for (const route of PASS_THROUGH_ROUTES.filter((r) => r.method === 'POST')) {
      const headers: Record<string, string> = contentType === '' ? {} : { 'content-type': contentType };
      const answer = await sendRaw(`${server.url}${passThroughPath(route)}`, 'POST', headers, BODY);
      expect(answer.status, passThroughPath(route)).toBe(415);
      expect(answer.json()).toMatchObject({ code: 'HTTP.UNSUPPORTED_MEDIA_TYPE' });
      expect(answer.headers['x-should-retry']).toBe('false');
    }
    expect(upstream.received).toEqual([]);
  });

  it('forwards application/json with a charset', async () => {
    const { server, upstream } = await start();
    const answer = await sendRaw(`${server.url}/api/llm/openai/v1/chat/completions`, 'POST', { 'content-type': 'application/json; charset=utf-8' }, BODY);
    expect(answer.status, answer.text).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });
});
