import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

/**
 * A caller's model comes back quoted in the provider's error, and the server scrubs that
 * answer before passing it on: a long model built for it froze the whole server while a
 * quadratic scrub ran (8 to 19 s for this one). A linear scrub takes milliseconds, so the
 * limit below is generous for a slow machine and far under what the old scrub took.
 */
const PROMPT_MS = 3_000;
/** Long enough for a frozen server's answer to arrive and fail the checks by name, rather than time out. */
const TEST_TIMEOUT_MS = 60_000;

/** A provider on 127.0.0.1 answering every call with a 404 that quotes the model, as OpenAI's does. */
async function startQuotingProvider() {
  const provider = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { model } = JSON.parse(body) as { model: string };
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `The model '${model}' does not exist`, type: 'invalid_request_error', code: 'model_not_found' } }));
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(provider.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        provider.closeAllConnections();
        provider.close(() => resolve());
      }),
  };
}

let provider: Awaited<ReturnType<typeof startQuotingProvider>> | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await provider?.close();
  server = provider = undefined;
});

/** How long `request` takes to answer, and its status. */
async function timed(request: Promise<Response>): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await request;
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

describe('LLM pass-through: a long model quoted back', () => {
  it("passes on a 404 quoting a 60,000-character model promptly, /healthz answering promptly all the while", async () => {
    provider = await startQuotingProvider();
    server = await startServer({ llm: { baseUrls: { openai: `${provider.url}/v1` }, timeoutMs: 5000 } });
    expect((await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }))).status).toBe(200);
    // Key characters, two stars (no mask yet) and the key's public last four: the shapes each scrub read again from every character.
    const model = `${'a'.repeat(60_000 - 6)}**${OPENAI_KEY.slice(-4)}`;

    const healthChecks = [timed(fetch(`${server.url}/healthz`))];
    const polling = setInterval(() => healthChecks.push(timed(fetch(`${server!.url}/healthz`))), 20);
    const started = performance.now();
    const response = await fetch(`${server.url}/api/llm/openai/v1/chat/completions`, jsonRequest('POST', { model, messages: [] }));
    const answer = (await response.json()) as { error: { message: string } };
    const took = performance.now() - started;
    clearInterval(polling);

    expect(response.status).toBe(404);
    expect(answer.error.message).toBe(`The model '${model}' does not exist`);
    expect(took).toBeLessThan(PROMPT_MS);
    for (const check of await Promise.all(healthChecks)) {
      expect(check.status).toBe(200);
      expect(check.ms).toBeLessThan(PROMPT_MS);
    }
  }, TEST_TIMEOUT_MS);
});
