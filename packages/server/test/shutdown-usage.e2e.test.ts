import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { serve } from '../src/serve.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An OpenAI-dialect provider whose streams never end: a chunk every 50 ms until the call is cut. */
async function startEndlessStreams(): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = { id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'w' } }] };
      const timer = setInterval(() => res.write(`data: ${JSON.stringify(chunk)}\n\n`), 50);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it('close() counts the pass-through calls its grace period cuts: the usage meter closes only after their answers have', async () => {
  const root = mkdtempSync(join(tmpdir(), 'llm-shutdown-usage-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: `sqlite:${join(root, 'settings.db')}`,
    PORT: '0',
    ENCRYPTION_KEY: generateFernetKey(),
    OPENAI_BASE_URL: `${await startEndlessStreams()}/v1`,
    // Nothing written before close(): its last write is what counts.
    USAGE_FLUSH_MS: '3600000',
  };
  const server = await serve({ env, logger: silentLogger, shutdownGraceMs: 300 });
  const put = await fetch(`${server.url}/api/settings/llm`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai', api_key: 'sk-proj-SHUTDOWN-USAGE-0123456789abcdef', model: 'gpt-4o' }),
  });
  expect(put.status).toBe(200);
  // Two streams under way: their first chunks have arrived.
  const firstChunks = await Promise.all(
    [1, 2].map(async () => {
      const response = await fetch(`${server.url}/api/llm/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }),
      });
      return (await response.body!.getReader().read()).value;
    }),
  );
  expect(firstChunks.every((chunk) => chunk !== undefined && chunk.length > 0)).toBe(true);

  await server.close();

  const reopened = await createLlmSettings({ env, logger: silentLogger });
  cleanups.push(() => reopened.close());
  const today = new Date().toISOString().slice(0, 10);
  expect(await reopened.usage({ from: today, to: today })).toEqual([expect.objectContaining({ provider: 'openai', model: 'gpt-4o', calls: 2 })]);
});
