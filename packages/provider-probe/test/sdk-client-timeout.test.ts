import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSdkClient } from '@llm-settings/provider-probe';
import { keyFor } from './helpers.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A provider on 127.0.0.1 that sends its headers and the start of a body, then nothing more. */
async function startStalling(start: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => start(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const messages = [{ role: 'user' as const, content: 'Hello' }];

describe('createSdkClient: timeoutMs bounds each attempt, its body included', () => {
  it.each(['anthropic', 'openai'] as const)('%s - a JSON body that stalls after its headers fails within timeoutMs', async (provider) => {
    const url = await startStalling((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
    });
    const sdk = await createSdkClient({ provider, apiKey: keyFor(provider), baseUrl: provider === 'anthropic' ? url : `${url}/v1`, timeoutMs: 300, maxRetries: 0 });
    const started = performance.now();
    const call = sdk.dialect === 'anthropic' ? sdk.client.messages.create({ model: 'm', max_tokens: 64, messages }) : sdk.client.chat.completions.create({ model: 'm', messages });
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError', message: "The provider's answer did not end within 300 ms." });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.each(['anthropic', 'openai'] as const)('%s - an event stream that stalls after one event fails within timeoutMs', async (provider) => {
    const url = await startStalling((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ping\ndata: {}\n\n');
    });
    const sdk = await createSdkClient({ provider, apiKey: keyFor(provider), baseUrl: provider === 'anthropic' ? url : `${url}/v1`, timeoutMs: 300, maxRetries: 0 });
    const stream = sdk.dialect === 'anthropic' ? await sdk.client.messages.create({ model: 'm', max_tokens: 64, messages, stream: true }) : await sdk.client.chat.completions.create({ model: 'm', messages, stream: true });
    const read = (async () => {
      for await (const _event of stream) void _event;
    })();
    await expect(read).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
