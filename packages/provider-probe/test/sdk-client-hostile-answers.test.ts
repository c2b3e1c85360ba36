import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Secret, type MeteredCall } from '@llm-settings/core';
import { createSdkClient } from '@llm-settings/provider-probe';
import { guardedFetch } from '../src/guarded-fetch.js';
import { closedPort, keyFor, keyRunsIn } from './helpers.js';

/**
 * What `client()`'s fetch makes of answers a provider that ignores what it was asked, or
 * puts the key where it should not, could send, through the real SDKs over HTTP.
 */

type Answer = (res: ServerResponse, requestBody: string) => void;

interface Upstream {
  url: string;
  close(): Promise<void>;
}

let upstream: Upstream | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await upstream?.close();
  upstream = undefined;
});

/** A provider on 127.0.0.1 answering every request with `answer`; `calls` counts the requests. */
async function startUpstream(answer: Answer): Promise<Upstream & { readonly calls: number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => answer(res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const started = {
    url,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  upstream = started;
  return started;
}

const KEY = keyFor('anthropic');
const model = 'claude-x';
const messages = [{ role: 'user' as const, content: 'Hello' }];
/** A message echoing the key, with its usage. */
const ECHO = JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: `your key is ${KEY}` }], usage: { input_tokens: 3, output_tokens: 5 } });

async function anthropicClient(url: string, recorded: MeteredCall[] = []) {
  const sdk = await createSdkClient({ provider: 'anthropic', apiKey: KEY, baseUrl: url, maxRetries: 0, usage: { scope: 'tenant-a', record: (call) => recorded.push(call) } });
  return sdk.client;
}

/** An answer written on the socket as it is: Node's server would frame a transfer coding itself. */
function rawAnswer(res: ServerResponse, head: string, body: Buffer): void {
  res.socket!.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n${head}\r\n`);
  res.socket!.end(body);
}

describe('client(): compressed answers', () => {
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('reads a %s answer decoded by fetch: scrubbed, and counted with its usage', async (coding, compress) => {
    const { url } = await startUpstream((res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding }).end(compress(ECHO)));
    const recorded: MeteredCall[] = [];
    const client = await anthropicClient(url, recorded);
    const message = await client.messages.create({ model, max_tokens: 64, messages });
    expect(message.content).toEqual([{ type: 'text', text: 'your key is [REDACTED]' }]);
    const raw = await client.messages.create({ model, max_tokens: 64, messages }).asResponse();
    expect(await raw.text()).toBe(ECHO.replace(KEY, '[REDACTED]'));
    await vi.waitFor(() => expect(recorded).toHaveLength(2));
    expect(recorded[0]).toMatchObject({ scope: 'tenant-a', model, status: 200, usage: { inputTokens: 3, outputTokens: 5 } });
  });

  it.each<[string, Answer]>([
    ['a gzip transfer coding', (res) => rawAnswer(res, 'transfer-encoding: gzip\r\n', gzipSync(ECHO))],
    ['a gzip transfer coding, chunked', (res) => {
      const body = gzipSync(ECHO);
      rawAnswer(res, 'transfer-encoding: gzip, chunked\r\n', Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
    }],
    ['a content coding fetch does not decode', (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'x-unknown' }).end(gzipSync(ECHO))],
    ['gzip listed with a coding fetch does not decode', (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip, identity' }).end(gzipSync(ECHO))],
  ])('refuses an answer fetch leaves encoded, %s: not read, its bytes nowhere, one 502 the SDK does not retry', async (_name, answer) => {
    const started = await startUpstream(answer);
    // The SDK's default retries: a refusal it retried would be a billed call each time.
    const { client } = await createSdkClient({ provider: 'anthropic', apiKey: KEY, baseUrl: started.url });
    const error = await client.messages.create({ model, max_tokens: 64, messages }).then(
      () => null,
      (caught: unknown) => caught as InstanceType<typeof Anthropic.APIError>,
    );
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error!.status).toBe(502);
    expect(error!.headers?.get('x-should-retry')).toBe('false');
    expect(error!.message).toBe('502 {"type":"error","error":{"type":"api_error","message":"The provider answered in an encoding that fetch does not decode; the answer was not read."}}');
    expect(started.calls).toBe(1);
    expect(keyRunsIn(String(error), KEY)).toEqual([]);
  });
});

describe('client(): redirects and encoded answers are called for once', () => {
  it.each([
    ['a redirect', (res: ServerResponse) => res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end(), /redirects are not followed/],
    ['an encoded answer', (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' }).end('xx'), /encoding that fetch does not decode/],
  ] as const)('%s: OpenAI - one upstream call, an APIError 502 in OpenAI\'s shape, not retried', async (_name, answer, message) => {
    const started = await startUpstream(answer);
    const { client } = await createSdkClient({ provider: 'openai', apiKey: keyFor('openai'), baseUrl: `${started.url}/v1` });
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages }).then(
      () => null,
      (caught: unknown) => caught as InstanceType<typeof OpenAI.APIError>,
    );
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 502, type: 'server_error', message: expect.stringMatching(message) });
    expect(started.calls).toBe(1);
  });

  it('a redirect: Anthropic - one upstream call, an APIError 502, not retried', async () => {
    const started = await startUpstream((res) => res.writeHead(301, { location: 'http://127.0.0.1:1/elsewhere' }).end());
    const { client } = await createSdkClient({ provider: 'anthropic', apiKey: KEY, baseUrl: started.url });
    await expect(client.messages.create({ model, max_tokens: 64, messages })).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/HTTP 301; redirects are not followed/) });
    expect(started.calls).toBe(1);
  });
});

describe('client(): the key in an answer header name or status text', () => {
  it.each(['anthropic', 'openai'] as const)('%s - leaves out every header whose name holds part of the key, in any case, and scrubs the status text', async (provider) => {
    const key = keyFor(provider);
    const secret = key.slice(key.lastIndexOf('-', 15) + 1);
    const { url } = await startUpstream((res) => {
      res.writeHead(200, `OK key ${key}`, {
        'content-type': 'application/json',
        'request-id': 'req_1',
        [`anthropic-ratelimit-${secret}`]: '1',
        [`x-${secret.slice(4, 20).toUpperCase()}`]: '2',
        'x-ratelimit-remaining-requests': '3',
      });
      res.end(provider === 'anthropic' ? '{"id":"x","type":"message","model":"m","content":[],"usage":{"input_tokens":1,"output_tokens":1}}' : '{"id":"x","object":"chat.completion","model":"m","choices":[]}');
    });
    const sdk = await createSdkClient({ provider, apiKey: key, baseUrl: provider === 'anthropic' ? url : `${url}/v1`, maxRetries: 0 });
    const { response } =
      sdk.dialect === 'anthropic'
        ? await sdk.client.messages.create({ model, max_tokens: 64, messages }).withResponse()
        : await sdk.client.chat.completions.create({ model, messages }).withResponse();
    const names = [...response.headers.keys()];
    expect(names).toEqual(expect.arrayContaining(['content-type', 'request-id', 'x-ratelimit-remaining-requests']));
    expect(names.filter((name) => name.startsWith('anthropic-ratelimit-') || name.startsWith('x-'))).toEqual(['x-ratelimit-remaining-requests']);
    expect(keyRunsIn(names.join('\n'), key.toLowerCase())).toEqual([]);
    expect(response.statusText).toBe('OK key [REDACTED]');
  });

  it('gives the same headers whether a guess the provider puts in a header name is part of the key or not, escaped or not (no key oracle)', async () => {
    // Upper-case letters: a guess whose first one is sent JSON-escaped (`\u0054`) reaches the provider as `T`.
    const key = 'sk-proj-Hn4kT9wQz2LmXc7VbR5sYp8DfJg3AeU6tKo1iNq0WxE';
    const { url } = await startUpstream((res, body) => {
      const { model: quoted } = JSON.parse(body) as { model: string };
      res.writeHead(200, { 'content-type': 'application/json', [`x-ratelimit-${quoted}`]: '1' }).end('{}');
    });
    const fetch = guardedFetch(new Secret(key), 'bearer', url, null, 5000, 'openai');
    /** The answer's headers for a guess sent as the model, its first letter JSON-escaped or not; the guess itself as `<guess>`. */
    const headersFor = async (guess: string, escaped: boolean) => {
      const sent = escaped ? `\\u${guess.charCodeAt(0).toString(16).padStart(4, '0')}${guess.slice(1)}` : guess;
      const response = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"model":"${sent}"}` });
      await response.arrayBuffer();
      return [...response.headers].filter(([name]) => name !== 'date').map(([name, value]) => `${name.replace(guess.toLowerCase(), '<guess>')}: ${value}`);
    };
    const right = key.slice(12, 20); // 'T9wQz2Lm', a run of 8 of the key
    const wrong = `${right.slice(0, -1)}n`;
    const answers = [await headersFor(right, false), await headersFor(right, true), await headersFor(wrong, false), await headersFor(wrong, true)];
    expect(answers[0]).toContain('x-ratelimit-<guess>: 1');
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });
});

describe("client()'s fetch: each attempt ends within its time, its body included", () => {
  /** The real SDK over guardedFetch with a deadline of `timeoutMs`; the SDK's own timeout (for the headers) left at 10 minutes. */
  function clientWithin(url: string, timeoutMs: number) {
    return new Anthropic({ apiKey: 'placeholder', baseURL: url, maxRetries: 0, fetch: guardedFetch(new Secret(KEY), 'x-api-key', url, null, timeoutMs) });
  }

  it('ends a call whose JSON body stalls after its headers', async () => {
    const { url } = await startUpstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
    });
    const started = performance.now();
    await expect(clientWithin(url, 300).messages.create({ model, max_tokens: 64, messages })).rejects.toMatchObject({
      name: 'TimeoutError',
      message: "The provider's answer did not end within 300 ms.",
    });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('ends an event stream that stalls after its first event, with an error rather than as if it had ended', async () => {
    const { url } = await startUpstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n');
    });
    const stream = await clientWithin(url, 300).messages.create({ model, max_tokens: 64, messages, stream: true });
    const events: unknown[] = [];
    const read = (async () => {
      for await (const event of stream) events.push(event);
    })();
    await expect(read).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(events).toEqual([{ type: 'content_block_stop', index: 0 }]);
  });

  it('clears its unref\'d timer once the answer ends: read whole, streamed to its end, or the call failed', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const cleared = vi.spyOn(globalThis, 'clearTimeout');
    /** The deadlines guardedFetch set (43,210 ms, a time no other timer here uses). */
    const deadlines = () => timers.mock.results.filter((_result, i) => timers.mock.calls[i]![1] === 43_210).map((result) => result.value as NodeJS.Timeout);
    const { url } = await startUpstream((res, body) => {
      if ((JSON.parse(body) as { stream?: boolean }).stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n');
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(ECHO);
    });
    const client = clientWithin(url, 43_210);
    await client.messages.create({ model, max_tokens: 64, messages });
    for await (const event of await client.messages.create({ model, max_tokens: 64, messages, stream: true })) expect(event).toBeTruthy();
    const down = `http://127.0.0.1:${await closedPort()}`;
    await expect(new Anthropic({ apiKey: 'p', baseURL: down, maxRetries: 0, fetch: guardedFetch(new Secret(KEY), 'x-api-key', down, null, 43_210) }).messages.create({ model, max_tokens: 64, messages })).rejects.toThrow();
    expect(deadlines()).toHaveLength(3);
    for (const deadline of deadlines()) {
      expect(deadline.hasRef()).toBe(false);
      expect(cleared).toHaveBeenCalledWith(deadline);
    }
  });
});
