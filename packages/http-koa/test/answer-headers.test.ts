import { afterEach, describe, expect, it } from 'vitest';
import { SETTINGS_UI_CSP } from '../src/settings-ui.js';
import { OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';
import { sendRaw, startRecordingUpstream, type RecordingUpstream } from './recording-upstream.js';

/*
 * The API shares its origin with the settings page, which keeps the API token in
 * sessionStorage: nothing the API answers (a provider's answer passed through least of
 * all) may be rendered by a browser as a page of that origin.
 */

const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";
const HTML = '<!doctype html><script>parent.postMessage(sessionStorage.getItem("token"), "*")</script>';

let server: TestServer | undefined;
let upstream: RecordingUpstream | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  server = upstream = undefined;
});

async function start(options: { settingsUi?: boolean; apiToken?: string } = {}) {
  upstream = await startRecordingUpstream();
  server = await startServer({ llm: { baseUrls: { anthropic: upstream.url, openai: `${upstream.url}/v1` } }, ...options });
  return { server, upstream, chat: `${server.url}/api/llm/openai/v1/chat/completions` };
}

const storeOpenAiKey = async (s: TestServer) =>
  expect((await fetch(`${s.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }))).status).toBe(200);

const post = (url: string) => sendRaw(url, 'POST', { 'content-type': 'application/json' }, '{"model":"gpt-4o"}');

describe('headers of every API answer', () => {
  it('carry a policy that lets nothing run, load or be framed, and nosniff: answers, problems and pass-through answers', async () => {
    const { server, upstream, chat } = await start();
    const answers = {
      'settings view': await sendRaw(`${server.url}/api/settings/llm`, 'GET', {}),
      'problem 404': await sendRaw(`${server.url}/no/such/path`, 'GET', {}),
      'problem 415': await sendRaw(`${server.url}/api/settings/llm`, 'PUT', { 'content-type': 'text/plain' }, '{}'),
      'pass-through problem 409': await post(chat),
      health: await sendRaw(`${server.url}/healthz`, 'GET', {}),
    };
    await storeOpenAiKey(server);
    const passed = await post(chat);
    expect(passed.status).toBe(200);
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {}\n\n');
    });
    const stream = await post(chat);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    for (const [what, answer] of Object.entries({ ...answers, 'pass-through answer': passed, 'pass-through stream': stream })) {
      expect(answer.headers['content-security-policy'], what).toBe(API_CSP);
      expect(answer.headers['x-content-type-options'], what).toBe('nosniff');
    }
  });

  it("leave the settings page's files their own policy", async () => {
    const { server } = await start({ settingsUi: true });
    for (const path of ['/', '/ui/app.js']) {
      expect((await sendRaw(`${server.url}${path}`, 'GET', {})).headers['content-security-policy'], path).toBe(SETTINGS_UI_CSP);
    }
  });
});

describe("the provider's content type, passed through", () => {
  it.each([
    ['HTML', 200, 'text/html; charset=utf-8'],
    ['SVG', 200, 'image/svg+xml'],
    ['plain text', 200, 'text/plain'],
    ['no type at all', 200, undefined],
    ['an HTML error page', 502, 'text/html'],
  ])('sends %s (status %s) as an attachment of application/octet-stream, bytes unchanged', async (_what, status, type) => {
    const { server, upstream, chat } = await start();
    await storeOpenAiKey(server);
    upstream.answerWith((res) => {
      res.writeHead(status, type === undefined ? {} : { 'content-type': type });
      res.end(HTML);
    });
    const answer = await post(chat);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers['content-disposition']).toBe('attachment');
    expect(answer.headers['content-security-policy']).toBe(API_CSP);
    expect(answer.text).toBe(HTML);
  });

  it.each([
    ['JSON', 'application/json'],
    ['JSON with a charset', 'application/json; charset=utf-8'],
    ['an event stream', 'text/event-stream; charset=utf-8'],
  ])('keeps %s as it is, not as a download', async (_what, type) => {
    const { server, upstream, chat } = await start();
    await storeOpenAiKey(server);
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(type.startsWith('text/') ? 'data: {}\n\n' : '{"id":"x"}');
    });
    const answer = await post(chat);
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.headers['content-disposition']).toBeUndefined();
  });
});
