import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import type { LlmProvider, LogFields, Logger } from '@llm-settings/core';
import type { SdkClient } from '@llm-settings/provider-probe';

export interface LogLine {
  readonly level: keyof Logger;
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line, to inspect what the probe logs. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: keyof Logger) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/**
 * A fresh key shaped like the provider's. It ends in upper-case letters, which never
 * occur in the fake's hex request ids, so its last four characters are searchable.
 */
export function keyFor(provider: LlmProvider): string {
  const body = randomBytes(30).toString('hex');
  return provider === 'anthropic' ? `sk-ant-api03-${body}QZXW` : `sk-proj-${body}QZXW`;
}

/** Every 8-character run of `apiKey` that occurs in `text`. */
export function keyRunsIn(text: string, apiKey: string): string[] {
  const found: string[] = [];
  for (let start = 0; start + 8 <= apiKey.length; start++) {
    const run = apiKey.slice(start, start + 8);
    if (text.includes(run)) found.push(run);
  }
  return found;
}

export const PROVIDER_IDS = ['anthropic', 'openai'] as const;

/** Credential header values as received: Authorization, X-Api-Key and Api-Key. */
export function credentialHeaders(headers: Readonly<Record<string, string>>): string[] {
  return ['authorization', 'x-api-key', 'api-key'].flatMap((name) => (headers[name] === undefined ? [] : [headers[name]]));
}

/** One short completion through the client's provider API: Anthropic's messages, OpenAI's chat completions. */
export async function askOnce(sdk: SdkClient, model: string): Promise<string | null> {
  switch (sdk.dialect) {
    case 'anthropic': {
      const message = await sdk.client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
      const [block] = message.content;
      return block?.type === 'text' ? block.text : null;
    }
    case 'openai': {
      const completion = await sdk.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }] });
      return completion.choices[0]?.message.content ?? null;
    }
  }
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A web server on 127.0.0.1 answering every path with 200 and an HTML page: a base URL that reaches no API. */
export async function startWebPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Sign in</title><p>Please sign in to continue.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
