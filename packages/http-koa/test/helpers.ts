import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type Koa from 'koa';
import { LlmSettingsService, type Logger, type ProviderProbe, type SecretCipher, type SettingsStore } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import { createHttpApp, type HttpAppOptions } from '../src/index.js';

/** A Logger that records every line as the JSON string a real logger would write. */
export interface CapturingLogger extends Logger {
  readonly lines: string[];
  /** The recorded lines, parsed. */
  entries(): Array<Record<string, unknown>>;
}

export function createCapturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const write = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    lines.push(JSON.stringify({ level, ...fields, msg }));
  };
  return {
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

export interface TestServer {
  url: string;
  store: SettingsStore;
  service: HttpAppOptions['service'];
  logger: CapturingLogger;
  close(): Promise<void>;
}

export interface TestServerOptions extends Partial<Omit<HttpAppOptions, 'service'>> {
  store?: SettingsStore;
  cipher?: SecretCipher;
  probe?: ProviderProbe;
  /** Builds the service from the parts; defaults to a real LlmSettingsService. */
  service?: HttpAppOptions['service'];
}

/** A real Koa app on a real port of 127.0.0.1, over a real service with the in-memory adapters. */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const store = options.store ?? createMemorySettingsStore();
  const logger = createCapturingLogger();
  const service =
    options.service ??
    new LlmSettingsService({
      store,
      cipher: options.cipher ?? createMemoryCipher(),
      probe: options.probe ?? createScriptedProbe(),
      logger,
    });
  const { store: _store, cipher: _cipher, probe: _probe, service: _service, ...appOptions } = options;
  const app = createHttpApp({ logger, ...appOptions, service });
  return { ...(await listen(app)), store, service, logger };
}

/** A Koa app listening on a free port of 127.0.0.1. */
export async function listen(app: Koa): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A store whose methods can be replaced one by one. */
export function wrapStore(inner: SettingsStore, overrides: Partial<SettingsStore>): SettingsStore {
  return {
    get: (...args) => inner.get(...args),
    set: (...args) => inner.set(...args),
    setMany: (...args) => inner.setMany(...args),
    delete: (...args) => inner.delete(...args),
    readHistory: (...args) => inner.readHistory(...args),
    pruneHistory: (...args) => inner.pruneHistory(...args),
    list: (...args) => inner.list(...args),
    watch: (...args) => inner.watch(...args),
    close: (...args) => inner.close(...args),
    ...overrides,
  };
}

export const ANTHROPIC_KEY = 'sk-ant-api03-Zq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8uVt1oQi5xWz0rPl';
export const OPENAI_KEY = 'sk-proj-Hn4kT9wQz2LmXc7VbR5sYp8DfJg3AeU6tKo1iNq0WxE';

export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
