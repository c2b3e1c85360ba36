import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

/**
 * Answers a provider that ignores what it was asked, or puts the key where it should not,
 * could send: the stored key must reach the caller in none of them.
 */

type Answer = (res: ServerResponse, requestBody: string) => void;

/** A provider on 127.0.0.1 answering with the test's function, given the request's body. */
async function startUpstream() {
  let answer: Answer = (res) => res.end();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => answer(res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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

let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  server = upstream = undefined;
});

async function start(provider: 'anthropic' | 'openai') {
  upstream = await startUpstream();
  server = await startServer({ llm: { baseUrls: { anthropic: upstream.url, openai: `${upstream.url}/v1` }, timeoutMs: 2000 } });
  const put = await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', { provider, api_key: provider === 'anthropic' ? ANTHROPIC_KEY : OPENAI_KEY }));
  expect(put.status).toBe(200);
  const path = provider === 'anthropic' ? '/api/llm/anthropic/v1/messages' : '/api/llm/openai/v1/chat/completions';
  return { upstream, call: (body: Record<string, unknown> = { model: 'm' }) => fetch(`${server!.url}${path}`, jsonRequest('POST', body)) };
}

/** The message answer echoing the key, as the hostile upstream of the review sent it. */
const ECHO = JSON.stringify({ id: 'msg_1', type: 'message', model: 'claude-x', content: [{ type: 'text', text: `your key is ${ANTHROPIC_KEY}` }] });

/** An answer written on the socket as it is: Node's server would frame a transfer coding itself. */
function rawAnswer(res: ServerResponse, head: string, body: Buffer): void {
  res.socket!.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n${head}\r\n`);
  res.socket!.end(body);
}

const ENCODED_ANSWERS: Array<[string, (res: ServerResponse) => void]> = [
  ['a gzip JSON answer', (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(ECHO))],
  ['a deflate event stream', (res) => res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'deflate' }).end(deflateSync(`event: x\ndata: ${ANTHROPIC_KEY}\n\n`))],
  ['a brotli answer of another type', (res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br' }).end(brotliCompressSync(ECHO))],
  ['a gzip error answer', (res) => res.writeHead(400, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(ECHO))],
  ['identity then gzip', (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'identity, gzip' }).end(gzipSync(ECHO))],
  ['a gzip transfer coding', (res) => rawAnswer(res, 'transfer-encoding: gzip\r\n', gzipSync(ECHO))],
  ['a gzip transfer coding, chunked', (res) => {
    const body = gzipSync(ECHO);
    rawAnswer(res, 'transfer-encoding: gzip, chunked\r\n', Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
  }],
];

describe('LLM pass-through: answers encoded though identity was asked for', () => {
  it.each(ENCODED_ANSWERS)('refuses %s with a 502 UPSTREAM.UNAVAILABLE the SDK is told not to retry, passing on none of its bytes', async (_name, answer) => {
    const { upstream, call } = await start('anthropic');
    upstream.answerWith(answer);
    const response = await call();
    expect(response.status).toBe(502);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.headers.get('content-encoding')).toBeNull();
    const body = Buffer.from(await response.arrayBuffer());
    expect(JSON.parse(body.toString())).toMatchObject({
      code: 'UPSTREAM.UNAVAILABLE',
      detail: 'The provider answered with an encoded (compressed) body though none was asked for, which is not passed on.',
    });
    expect(body.includes(ANTHROPIC_KEY.slice(13, 21))).toBe(false);
    expect(() => gunzipSync(body)).toThrow();
  });

  it.each([
    [401, 'authentication_error', 'The provider refused the API key stored for this scope. Save a valid key with PUT /api/settings/llm.'],
    [403, 'permission_error', 'The API key stored for this scope is not allowed to do this.'],
  ] as const)('answers an encoded %i with the fixed answer that replaces its body, unread', async (status, type, message) => {
    const { upstream, call } = await start('anthropic');
    upstream.answerWith((res) => res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'anthropic-ratelimit-requests-remaining': '7' }).end(gzipSync(ECHO)));
    const response = await call();
    expect(response.status).toBe(status);
    expect(response.headers.get('x-should-retry')).toBeNull();
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('7');
    expect(await response.json()).toEqual({ type: 'error', error: { type, message } });
  });

  it('refuses a redirect with a 502 the SDK is told not to retry', async () => {
    const { upstream, call } = await start('openai');
    upstream.answerWith((res) => res.writeHead(307, { location: `${upstream.url}/elsewhere` }).end());
    const response = await call();
    expect(response.status).toBe(502);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.headers.get('location')).toBeNull();
  });

  it('passes an answer that names the identity coding, and one chunked, as usual', async () => {
    const { upstream, call } = await start('anthropic');
    upstream.answerWith((res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'identity' }).end(ECHO));
    const identity = await call();
    expect(identity.status).toBe(200);
    expect(await identity.text()).toBe(ECHO.replace(ANTHROPIC_KEY, '[REDACTED]'));
    upstream.answerWith((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${ANTHROPIC_KEY}\n\n`);
      res.end('data: end\n\n');
    });
    const chunked = await call({ model: 'm', stream: true });
    expect(chunked.status).toBe(200);
    expect(await chunked.text()).toBe('data: [REDACTED]\n\ndata: end\n\n');
  });
});

describe('LLM pass-through: the stored key in an answer header name', () => {
  it.each([
    ['anthropic', ANTHROPIC_KEY, 'anthropic-ratelimit-'],
    ['openai', OPENAI_KEY, 'x-ratelimit-'],
  ] as const)('passes a %s rate-limit header only when its name is made of the words the providers use', async (provider, key, prefix) => {
    const { upstream, call } = await start(provider);
    const secret = key.slice(key.lastIndexOf('-', 15) + 1);
    upstream.answerWith((res) =>
      res
        .writeHead(200, {
          'content-type': 'application/json',
          [`${prefix}${secret.slice(0, 30)}`]: '1',
          [`${prefix}X${secret.slice(5, 13).toUpperCase()}`]: '2',
          [`${prefix}${secret.slice(10, 18).toLowerCase()}-tokens`]: '3',
          [`${prefix}requests-remaining`]: '4',
          [`${prefix}input-tokens-limit`]: '5',
          [`${prefix}model-gpt-4o-requests`]: '6',
        })
        .end('{}'),
    );
    const response = await call();
    expect(response.status).toBe(200);
    const names = [...response.headers.keys()];
    expect(names.filter((name) => name.startsWith(prefix)).sort()).toEqual([`${prefix}input-tokens-limit`, `${prefix}requests-remaining`]);
    expect(names.join('\n')).not.toContain(secret.slice(10, 18).toLowerCase());
  });

  it('gives the same headers whether a guess the provider puts in a header name is part of the key or not, escaped or not (no key oracle)', async () => {
    const { upstream } = await start('openai');
    // The request's model in a rate-limit header name, as a provider quoting the caller could.
    upstream.answerWith((res, body) => {
      const { model } = JSON.parse(body) as { model: string };
      res.writeHead(200, { 'content-type': 'application/json', [`x-ratelimit-${model}`]: '1', [`x-ratelimit-${model}-requests`]: '2', 'x-ratelimit-limit-requests': '3' });
      res.end('{}');
    });
    /** The answer's headers for a guess sent as the model, its first letter JSON-escaped or not. */
    const headersFor = async (guess: string, escaped: boolean) => {
      const model = escaped ? `\\u${guess.charCodeAt(0).toString(16).padStart(4, '0')}${guess.slice(1)}` : guess;
      const response = await fetch(`${server!.url}/api/llm/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"model":"${model}"}` });
      await response.arrayBuffer();
      return [...response.headers].filter(([name]) => name !== 'x-request-id' && name !== 'date');
    };
    const right = OPENAI_KEY.slice(12, 20); // a run of 8 of the stored key
    const wrong = `${right.slice(0, -1)}${right.endsWith('n') ? 'm' : 'n'}`;
    const answers = [await headersFor(right, false), await headersFor(right, true), await headersFor(wrong, false), await headersFor(wrong, true)];
    expect(answers[0]).toContainEqual(['x-ratelimit-limit-requests', '3']);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });
});
