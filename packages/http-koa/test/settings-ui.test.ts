import { afterEach, describe, expect, it } from 'vitest';
import Koa from 'koa';
import { createHttpApp } from '../src/index.js';
import { SETTINGS_UI_CSP } from '../src/settings-ui.js';
import { createMemorySettingsStore, createMemoryCipher, createScriptedProbe } from '@llm-settings/core/testing';
import { LlmSettingsService } from '@llm-settings/core';
import { listen, startServer, type TestServer } from './helpers.js';

const TOKEN = 'ui-test-token-0123456789';
const ASSETS = [
  ['/', 'text/html; charset=utf-8'],
  ['/ui/app.js', 'text/javascript; charset=utf-8'],
  ['/ui/app.css', 'text/css; charset=utf-8'],
  ['/ui/icon.svg', 'image/svg+xml'],
] as const;

describe('settings page', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is off by default: / is a 404 problem', async () => {
    server = await startServer();
    for (const path of ['/', '/ui/app.js']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('serves the page and its assets, open, under the strict policy, even with a token configured', async () => {
    server = await startServer({ settingsUi: true, apiToken: TOKEN });
    for (const [path, type] of ASSETS) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('content-security-policy')).toBe(SETTINGS_UI_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect((await res.text()).length).toBeGreaterThan(0);
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    }
    // The API the page calls still needs the token.
    expect((await fetch(`${server.url}/api/settings/llm`)).status).toBe(401);
  });

  it('names only its own assets and has no inline script or style, which the policy would block', async () => {
    server = await startServer({ settingsUi: true });
    const html = await (await fetch(`${server.url}/`)).text();
    const sources = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    // Relative, so that the page also works mounted under a path (with a trailing slash).
    expect(new Set(sources)).toEqual(new Set(['ui/icon.svg', 'ui/app.css', 'ui/app.js']));
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('knows its paths exactly: other spellings and other files under /ui/ are 404', async () => {
    server = await startServer({ settingsUi: true });
    for (const path of ['/index.html', '/ui/', '/ui/App.js', '/ui/app.js/', '/ui/../package.json', '/ui/%2e%2e/package.json', '/UI/app.css']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('is behind the Host check like every route', async () => {
    server = await startServer({ settingsUi: true, allowedHosts: [] });
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server!.url}/`, { headers: { host: 'rebound.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('mounted in a host app, leaves / to the host unless turned on; under a path, its relative URLs resolve there', async () => {
    const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe() });
    for (const settingsUi of [false, true]) {
      const ours = createHttpApp({ service, settingsUi }).middleware[0]!;
      const host = new Koa();
      // Mounted at the root, and under /settings as koa-mount does it (the prefix stripped).
      host.use(ours);
      host.use(async (ctx, next) => {
        if (!ctx.path.startsWith('/settings/')) return next();
        const hostPath = ctx.path;
        ctx.path = ctx.path.slice('/settings'.length);
        await ours(ctx as never, async () => {
          ctx.path = hostPath;
          await next();
        });
      });
      host.use((ctx) => {
        ctx.body = 'host page';
      });
      const mounted = await listen(host);
      try {
        const page = await (await fetch(`${mounted.url}/`)).text();
        if (!settingsUi) {
          expect(page).toBe('host page');
          continue;
        }
        expect(page).toContain('<title>LLM settings</title>');
        for (const path of ['/settings/', new URL('ui/app.js', `${mounted.url}/settings/`).pathname]) {
          const res = await fetch(`${mounted.url}${path}`);
          expect(res.status, path).toBe(200);
          expect(res.headers.get('content-security-policy')).toBe(SETTINGS_UI_CSP);
        }
      } finally {
        await mounted.close();
      }
    }
  });
});
