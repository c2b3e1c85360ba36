import type { RouterMiddleware } from '@koa/router';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../src/app-state.js';
import { createRouter, routesByName, routesUnder } from '../src/routers.js';
import { listen } from './helpers.js';

let listening: { url: string; close(): Promise<void> } | undefined;
afterEach(async () => {
  await listening?.close();
  listening = undefined;
});

/** An app running `routes`, then answering 'next' for whatever it passed on. */
async function serve(routes: RouterMiddleware<AppState>) {
  const app = new Koa<AppState>();
  app.use(routes);
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
    const url = await serve(routesUnder('/api', router));
    expect(await (await fetch(`${url}/api`)).text()).toBe('root');
    expect(await (await fetch(`${url}/api/a`)).text()).toBe('a');
  });

  it('routesUnder - passes other paths on without matching them, a longer name with the same start included', async () => {
    const router = createRouter();
    router.get('/api/a', (ctx) => {
      ctx.body = 'a';
    });
    const match = vi.spyOn(router, 'match');
    const url = await serve(routesUnder('/api', router));
    for (const path of ['/apis', '/ap', '/other/api/a']) {
      expect(await (await fetch(`${url}${path}`)).text(), path).toBe('next');
    }
    expect(match).not.toHaveBeenCalled();
    // Under the prefix, the router matches (and passes on what none of its routes takes).
    expect(await (await fetch(`${url}/api/b`)).text()).toBe('next');
    expect(match).toHaveBeenCalledTimes(1);
  });
});

describe('routesByName', () => {
  /** A router with one route, `/api/<name>/x`, answering its name. */
  const routerOf = (name: string) => {
    const router = createRouter();
    router.get(`/api/${name}/x`, (ctx) => {
      ctx.body = name;
    });
    return router;
  };

  it("routesByName - runs the router of the path's name alone", async () => {
    const routers = new Map(['a', 'b', 'ab'].map((name) => [name, routerOf(name)]));
    const matches = [...routers.values()].map((router) => vi.spyOn(router, 'match'));
    const url = await serve(routesByName('/api', routers));
    expect(await (await fetch(`${url}/api/b/x`)).text()).toBe('b');
    expect(matches.map((match) => match.mock.calls.length)).toEqual([0, 1, 0]);
    expect(await (await fetch(`${url}/api/ab/x`)).text()).toBe('ab');
    expect(matches.map((match) => match.mock.calls.length)).toEqual([0, 1, 1]);
  });

  it('routesByName - passes on the prefix alone, an unknown name and paths outside, matching nothing', async () => {
    const routers = new Map(['a'].map((name) => [name, routerOf(name)]));
    const match = vi.spyOn(routers.get('a')!, 'match');
    const url = await serve(routesByName('/api', routers));
    for (const path of ['/api', '/api/', '/api/c/x', '/api/ax', '/apia/x', '/other/api/a/x']) {
      expect(await (await fetch(`${url}${path}`)).text(), path).toBe('next');
    }
    expect(match).not.toHaveBeenCalled();
  });

  it("routesByName - refuses a router with a route outside its name's path", () => {
    expect(() => routesByName('/api', new Map([['a', routerOf('b')]]))).toThrow('route /api/b/x is outside /api/a');
  });
});
