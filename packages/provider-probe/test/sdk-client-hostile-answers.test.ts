import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Secret, type MeteredCall } from '@llm-settings/core';
import { createSdkClient } from '@llm-settings/provider-probe';
import { EncodingRefusedError, guardedFetch } from '../src/guarded-fetch.js';
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

/** A provider on 127.0.0.1 answering every request with `answer`. */
async function startUpstream(answer: Answer): Promise<Upstream> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => answer(res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  upstream = {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
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
  ])('refuses an answer fetch leaves encoded, %s: not read, and its bytes nowhere', async (_name, answer) => {
    const { url } = await startUpstream(answer);
    const client = await anthropicClient(url);
    const error = await client.messages
      .create({ model, max_tokens: 64, messages })
      .asResponse()
      .then(
        () => null,
        (caught: unknown) => caught as Error,
      );
    expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(error!.cause).toBeInstanceOf(EncodingRefusedError);
    expect(keyRunsIn(`${String(error)} ${String(error!.cause)}`, KEY)).toEqual([]);
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
