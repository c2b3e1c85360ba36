import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../src/app-state.js';
import { createRouter, routesUnder } from '../src/routers.js';
import { listen } from './helpers.js';

let listening: { url: string; close(): Promise<void> } | undefined;
afterEach(async () => {
  await listening?.close();
  listening = undefined;
});

/** An app running `router` under `prefix`, then answering 'next' for whatever it passed on. */
async function serveUnder(prefix: string, router: ReturnType<typeof createRouter>) {
  const app = new Koa<AppState>();
  app.use(routesUnder(prefix, router));
  app.use((ctx) => {
    ctx.body = 'next';
  });
  listening = await listen(app as unknown as Koa);
  return listening.url;
}

describe('routesUnder', () => {
  it('routesUnder - refuses a router with a route outside its prefix, which skipping would hide', () => {
    const router = createRouter();
    router.get('/api/a', (ctx) => {
      ctx.body = 'a';
    });
    router.get('/other', (ctx) => {
      ctx.body = 'other';
    });
    expect(() => routesUnder('/api', router)).toThrow('route /other is outside /api');
  });

  it('routesUnder - refuses a catch-all middleware, which matches paths outside the prefix', () => {
    const router = createRouter();
    router.use((_ctx, next) => next());
    expect(() => routesUnder('/api', router)).toThrow(/is outside \/api/);
  });

  it('routesUnder - runs the router for the prefix itself and the paths below it', async () => {
    const router = createRouter();
    router.get('/api', (ctx) => {
      ctx.body = 'root';
    });
    router.get('/api/a', (ctx) => {
      ctx.body = 'a';
    });
    const url = await serveUnder('/api', router);
    expect(await (await fetch(`${url}/api`)).text()).toBe('root');
    expect(await (await fetch(`${url}/api/a`)).text()).toBe('a');
  });

  it('routesUnder - passes other paths on without matching them, a longer name with the same start included', async () => {
    const router = createRouter();
    router.get('/api/a', (ctx) => {
      ctx.body = 'a';
    });
    const match = vi.spyOn(router, 'match');
    const url = await serveUnder('/api', router);
    for (const path of ['/apis', '/ap', '/other/api/a']) {
      expect(await (await fetch(`${url}${path}`)).text(), path).toBe('next');
    }
    expect(match).not.toHaveBeenCalled();
    // Under the prefix, the router matches (and passes on what none of its routes takes).
    expect(await (await fetch(`${url}/api/b`)).text()).toBe('next');
    expect(match).toHaveBeenCalledTimes(1);
  });
});
