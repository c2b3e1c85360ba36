import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the echoing provider answers: its status and body type. */
export interface EchoMode {
  status: number;
  body: 'json' | 'event-stream' | 'text';
}

/** One request it received, the key as sent (a test fake). */
export interface EchoRequest {
  readonly path: string;
  readonly apiKey: string | null;
  readonly body: string;
}

/**
 * What a careless provider or gateway could send back about the key it was called with:
 * the whole key, a run from its middle, its last 12 characters, and masked echoes.
 */
export function echoesOf(key: string): string[] {
  const tail = key.slice(-4);
  const middle = Math.floor(key.length / 2);
  return [key, key.slice(middle - 6, middle + 6), key.slice(-12), `${key.slice(0, 8)}${'*'.repeat(20)}${tail}`, `...${tail}`, `••••${tail}`];
}

/**
 * A provider, for both APIs (OpenAI's under `/v1`), that echoes the key it is called
 * with in every header the pass-through passes on and in its body, at the status and in
 * the body type of its mode; an event stream comes in chunks that cut the key in two.
 * With `echoRequest`, it echoes the request's `model` instead, verbatim in its body and
 * a header, and the request's `spell` (letters separated by spaces) joined up, as a
 * model asked to spell a guess out would write it.
 */
export async function startEchoProvider() {
  const requests: EchoRequest[] = [];
  let mode: EchoMode = { status: 200, body: 'json' };
  let echoRequest = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const apiKey = credential(req.headers);
      requests.push({ path: req.url ?? '/', apiKey, body });
      const echoes = echoRequest ? requestEchoes(body) : echoesOf(apiKey ?? 'no-key-sent');
      void answer(res, mode, echoes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrls: { anthropic: url, openai: `${url}/v1` },
    requests,
    setMode(next: EchoMode) {
      mode = next;
    },
    setEchoRequest(on: boolean) {
      echoRequest = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type EchoProvider = Awaited<ReturnType<typeof startEchoProvider>>;

function credential(headers: IncomingHttpHeaders): string | null {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string') return apiKey;
  return headers.authorization?.replace(/^Bearer /, '') ?? null;
}

function requestEchoes(body: string): string[] {
  try {
    const { model, spell } = JSON.parse(body) as { model?: unknown; spell?: unknown };
    return [typeof model === 'string' ? model : '', typeof spell === 'string' ? spell.split(' ').join('') : ''];
  } catch {
    return [''];
  }
}

/** Every header the pass-through passes on, each echoing; then the body. */
async function answer(res: ServerResponse, mode: EchoMode, echoes: readonly string[]): Promise<void> {
  // Node refuses characters over U+00FF in headers: the bulleted echo goes in bodies only.
  const inHeaders = echoes.filter((echo) => /^[\x20-\xff]*$/.test(echo));
  const joined = inHeaders.join(' ');
  const type = { json: 'application/json', 'event-stream': 'text/event-stream', text: 'text/plain' }[mode.body];
  res.writeHead(mode.status, {
    'content-type': `${type}; echo=${JSON.stringify(inHeaders[0])}`,
    'request-id': `req_${inHeaders[0]}`,
    'x-request-id': `req_${inHeaders[1] ?? ''}`,
    'openai-version': joined,
    'openai-processing-ms': inHeaders.at(-1) ?? '',
    'retry-after': inHeaders[2] ?? '',
    'retry-after-ms': inHeaders[3] ?? '',
    'x-should-retry': inHeaders[4] ?? '',
    'x-ratelimit-limit-requests': joined,
    'anthropic-ratelimit-requests-limit': joined,
  });
  const message = `echo: ${echoes.join(' ')}`;
  if (mode.body === 'text') return void res.end(message);
  if (mode.body === 'json') {
    return void res.end(JSON.stringify({ type: 'error', id: echoes[0], error: { type: 'invalid_request_error', message }, echoes }));
  }
  // An event stream: each echo cut in two across chunks, written apart so they arrive apart.
  for (const echo of echoes) {
    const cut = Math.floor(echo.length / 2);
    res.write(`event: echo\ndata: {"text":"${echo.slice(0, cut)}`);
    await sleep(5);
    res.write(`${echo.slice(cut)}"}\n\n`);
    await sleep(5);
  }
  res.end(`data: ${JSON.stringify({ message })}\n\n`);
}
