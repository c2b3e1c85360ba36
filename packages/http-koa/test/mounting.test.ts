import { ConfigError, LlmSettingsService } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, PROBLEM_CONTENT_TYPE, type HttpAppOptions } from '../src/index.js';
import { createCapturingLogger, listen } from './helpers.js';

let listening: { url: string; close(): Promise<void> } | undefined;
afterEach(async () => {
  await listening?.close();
  listening = undefined;
});

/** Runs an app's middleware inside another app's request, as koa-mount does. */
function runMiddleware(middleware: Koa.Middleware[], ctx: Koa.Context, next: Koa.Next): Promise<unknown> {
  const run = (index: number): Promise<unknown> => {
    const current = middleware[index];
    return current === undefined ? next() : Promise.resolve(current(ctx, () => run(index + 1)));
  };
  return run(0);
}

/**
 * A host app that mounts ours (under `prefix`, stripped from the path while ours runs, as
 * koa-mount does), then answers GET /host/hello itself.
 */
async function startHost(options: Partial<HttpAppOptions> & { prefix?: string } = {}) {
  const { prefix = '', ...appOptions } = options;
  const logger = createCapturingLogger();
  const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe() });
  const ours = createHttpApp({ service, logger, ...appOptions });
  const host = new Koa();
  host.use(async (ctx, next) => {
    if (!ctx.path.startsWith(`${prefix}/`)) return next();
    const hostPath = ctx.path;
    ctx.path = ctx.path.slice(prefix.length);
    await runMiddleware(ours.middleware as Koa.Middleware[], ctx, async () => {
      ctx.path = hostPath;
      await next();
    });
    ctx.path = hostPath;
  });
  host.use((ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/host/hello') return next();
    ctx.body = 'hello from the host';
  });
  listening = await listen(host);
  return { url: listening.url, logger };
}

describe('mounted inside a host app', () => {
  it("passes paths none of our routes knows to the host's next middleware, untouched and unlogged", async () => {
    const { url, logger } = await startHost();
    const response = await fetch(`${url}/host/hello`, { headers: { 'x-request-id': 'host-1' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello from the host');
    expect(response.headers.get('x-request-id')).toBeNull();
    expect(response.headers.get('cache-control')).toBeNull();
    expect(logger.lines).toEqual([]);
  });

  it("leaves an unknown path no host route answers to the host's 404, not a problem", async () => {
    const { url } = await startHost();
    const response = await fetch(`${url}/nowhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('Not Found');
  });

  it('still serves our routes, and answers a known path with another method 405', async () => {
    const { url, logger } = await startHost();
    const settings = await fetch(`${url}/api/settings/llm`, { headers: { 'x-request-id': 'ours-1' } });
    expect(settings.status).toBe(200);
    expect(settings.headers.get('x-request-id')).toBe('ours-1');
    expect(await settings.json()).toMatchObject({ provider: 'anthropic', api_key_set: false });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const patch = await fetch(`${url}/api/settings/llm`, { method: 'PATCH' });
    expect(patch.status).toBe(405);
    expect(patch.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(patch.headers.get('allow')).toContain('GET');
    expect(logger.entries().map((entry) => entry.route)).toEqual(['/api/settings/llm', '/healthz', '/api/settings/llm']);
  });

  it('serves under a prefix, with the basePath as the OpenAPI servers URL', async () => {
    const { url } = await startHost({ prefix: '/settings-api', basePath: '/settings-api' });
    const document = (await (await fetch(`${url}/settings-api/api/openapi.json`)).json()) as { servers?: unknown };
    expect(document.servers).toEqual([{ url: '/settings-api' }]);
    expect((await fetch(`${url}/settings-api/api/settings/llm`)).status).toBe(200);
    expect((await fetch(`${url}/settings-api/nowhere`)).headers.get('content-type')).toMatch(/^text\/plain/);
  });
});

describe('standalone', () => {
  it('still answers an unknown path with a 404 problem', async () => {
    const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe() });
    listening = await listen(createHttpApp({ service }));
    const response = await fetch(`${listening.url}/host/hello`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.get('x-request-id')).not.toBeNull();
  });

  it.each(['settings-api', '/settings-api/', '/a b', '/x?y'])('refuses the basePath %j', (basePath) => {
    const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe() });
    expect(() => createHttpApp({ service, basePath })).toThrow(ConfigError);
  });
});
