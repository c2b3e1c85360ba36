import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJoseTokenMinter } from '@llm-settings/auth-jose';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { PERMISSIONS, type Permission } from '@llm-settings/core';
import type { RunningServer } from '../src/serve.js';
import { storeSettings } from './support/stored-settings.js';
import { captureLogs } from './support/logs.js';
import { createDatabase, type TestDatabase } from './support/databases.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { allBut, startIdentityProvider, tampered, TOKEN_SECRET, unsigned, type IdentityProvider } from './support/scoped-tokens.js';

/*
 * Token kind × route × scope, against the real server (Koa on a port, SQLite, the fake
 * provider, an identity provider's key set on 127.0.0.1): each answer's status, and the
 * problem code of each refusal.
 */

const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghij';
const KEY = 'sk-proj-SCOPED-TOKENS-E2E-0000111122223333';
const OWN = 'tenant-a';
const OTHER = 'tenant-b';
const MODELS: Record<string, string> = { default: 'gpt-4.1', [OWN]: 'gpt-4.1-mini', [OTHER]: 'gpt-4o' };

interface Route {
  name: string;
  method: string;
  path: string;
  /** null: open to every caller that passes the access check. */
  permission: Permission | null;
  /** Whether the route acts on a scope (LLM-Settings-Scope). */
  scoped: boolean;
  ok: number;
  body?: object;
  /** Where the token goes: Authorization (default) or x-api-key. */
  via?: 'x-api-key';
}

const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const ROUTES: Route[] = [
  { name: 'GET settings', method: 'GET', path: '/api/settings/llm', permission: 'read', scoped: true, ok: 200 },
  { name: 'PUT settings', method: 'PUT', path: '/api/settings/llm', permission: 'write', scoped: true, ok: 200, body: { provider: 'openai', api_key: KEY, model: 'gpt-4.1' } },
  { name: 'DELETE settings', method: 'DELETE', path: '/api/settings/llm', permission: 'write', scoped: true, ok: 204 },
  { name: 'POST test', method: 'POST', path: '/api/settings/llm/test', permission: 'test', scoped: true, ok: 200 },
  { name: 'GET models', method: 'GET', path: '/api/settings/llm/models', permission: 'models', scoped: true, ok: 200 },
  { name: 'POST models', method: 'POST', path: '/api/settings/llm/models', permission: 'models', scoped: true, ok: 200, body: { provider: 'openai', api_key: KEY } },
  { name: 'GET providers', method: 'GET', path: '/api/settings/llm/providers', permission: 'read', scoped: false, ok: 200 },
  { name: 'GET whoami', method: 'GET', path: '/api/settings/llm/whoami', permission: null, scoped: false, ok: 200 },
  { name: 'pass-through (Bearer)', method: 'POST', path: '/api/llm/openai/v1/chat/completions', permission: 'use', scoped: true, ok: 200, body: CHAT },
  { name: 'pass-through (x-api-key)', method: 'POST', path: '/api/llm/openai/v1/chat/completions', permission: 'use', scoped: true, ok: 200, body: CHAT, via: 'x-api-key' },
  { name: 'GET history', method: 'GET', path: '/api/settings/llm/history', permission: 'read', scoped: true, ok: 200 },
  { name: 'GET usage', method: 'GET', path: '/api/settings/llm/usage?from=2026-01-01&to=2026-01-31', permission: 'read', scoped: true, ok: 200 },
];

type ScopeCase = 'own' | 'other' | 'absent';
const SCOPE_CASES: ScopeCase[] = ['own', 'other', 'absent'];
type Kind = 'admin' | 'minted' | 'jwks' | 'expired' | 'tampered' | 'alg none' | 'wrong audience';
const REFUSED_KINDS: Kind[] = ['expired', 'tampered', 'alg none', 'wrong audience'];

describe('scoped tokens end to end: token kind × route × scope', () => {
  let database: TestDatabase;
  let fake: FakeProvider;
  let idp: IdentityProvider;
  let server: RunningServer;
  const tokens = {} as Record<Kind, string>;
  const minter = createJoseTokenMinter({ secrets: TOKEN_SECRET });

  async function call(route: Route, token: string, scope: ScopeCase) {
    const headers: Record<string, string> = route.via === 'x-api-key' ? { 'x-api-key': token } : { authorization: `Bearer ${token}` };
    if (scope !== 'absent') headers['llm-settings-scope'] = scope === 'own' ? OWN : OTHER;
    if (route.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}${route.path}`, { method: route.method, headers, ...(route.body ? { body: JSON.stringify(route.body) } : {}) });
    const text = await response.text();
    return { status: response.status, text, challenge: response.headers.get('www-authenticate'), code: text === '' ? null : (JSON.parse(text) as { code?: string }).code };
  }

  async function seed() {
    const settings = Object.fromEntries(Object.entries(MODELS).map(([scope, model]) => [scope, { provider: 'openai', api_key: KEY, model }]));
    await storeSettings(server.url, ADMIN_TOKEN, settings);
  }

  beforeAll(async () => {
    database = await createDatabase('sqlite');
    fake = await startFakeProvider();
    idp = await startIdentityProvider();
    server = await serveAgainstFake(fake, {
      databaseUrl: database.url,
      logger: captureLogs().logger,
      env: { SETTINGS_API_TOKEN: ADMIN_TOKEN, SETTINGS_TOKEN_SECRET: TOKEN_SECRET, ...idp.env },
    });
    const now = Math.floor(Date.now() / 1000);
    tokens.admin = ADMIN_TOKEN;
    tokens.minted = await minter.mint({ scope: OWN, can: PERMISSIONS, ttlSeconds: 600 });
    tokens.jwks = await idp.token({ sub: OWN });
    tokens.expired = await idp.token({ sub: OWN, iat: now - 3600, exp: now - 600 });
    tokens.tampered = tampered(await minter.mint({ scope: OTHER, can: ['read'], ttlSeconds: 600 }), { llm_settings_scope: OWN, llm_settings_can: PERMISSIONS });
    tokens['alg none'] = unsigned({ sub: OWN, llm_settings_scope: OWN, llm_settings_can: PERMISSIONS });
    tokens['wrong audience'] = await idp.token({ sub: OWN, aud: 'another-service' });
    await seed();
  });

  afterAll(async () => {
    await server?.close();
    await idp?.close();
    await fake?.close();
    await database?.drop();
  });

  for (const route of ROUTES) {
    describe(route.name, () => {
      it('admin - reaches every scope, the default one without the header', async () => {
        for (const scope of SCOPE_CASES) {
          expect((await call(route, tokens.admin, scope)).status, scope).toBe(route.ok);
          if (route.method === 'PUT' || route.method === 'DELETE') await seed();
        }
      });

      for (const kind of ['minted', 'jwks'] as const) {
        it(`${kind} - reaches its own scope, named or not, and no other (HTTP.SCOPE_FORBIDDEN)`, async () => {
          for (const scope of SCOPE_CASES) {
            const answer = await call(route, tokens[kind], scope);
            if (scope === 'other' && route.scoped) {
              expect([answer.status, answer.code], scope).toEqual([403, 'HTTP.SCOPE_FORBIDDEN']);
            } else {
              expect(answer.status, `${scope}: ${answer.text}`).toBe(route.ok);
            }
            if (route.method === 'PUT' || route.method === 'DELETE') await seed();
          }
        });
      }

      if (route.permission !== null) {
        const permission = route.permission;
        it(`minted and jwks without "${permission}" - 403 HTTP.PERMISSION_MISSING naming it`, async () => {
          const lacking = [await minter.mint({ scope: OWN, can: allBut(permission), ttlSeconds: 600 }), await idp.token({ sub: OWN, llm_settings_can: allBut(permission) })];
          for (const token of lacking) {
            for (const scope of ['own', 'absent'] as const) {
              const answer = await call(route, token, scope);
              expect([answer.status, answer.code], scope).toEqual([403, 'HTTP.PERMISSION_MISSING']);
              expect((JSON.parse(answer.text) as { detail: string }).detail).toContain(`"${permission}"`);
            }
          }
        });
      }

      it('expired, tampered, alg none, wrong audience - 401, one answer for all', async () => {
        const answers = new Set<string>();
        for (const kind of REFUSED_KINDS) {
          for (const scope of SCOPE_CASES) {
            const { status, text, challenge, code } = await call(route, tokens[kind], scope);
            expect([status, code], `${kind}, ${scope}`).toEqual([401, 'HTTP.UNAUTHORIZED']);
            answers.add(JSON.stringify([text, challenge]));
          }
        }
        expect(answers.size).toBe(1);
      });
    });
  }

  it('a scoped token without the header acts on its own scope, not the default one', async () => {
    const answer = await call(ROUTES[0]!, tokens.minted, 'absent');
    expect(JSON.parse(answer.text)).toMatchObject({ model: MODELS[OWN] });
    const jwt = await call(ROUTES[0]!, tokens.jwks, 'absent');
    expect(JSON.parse(jwt.text)).toMatchObject({ model: MODELS[OWN] });
  });

  it('inherit_from - a scoped token with write may not set it (403 HTTP.PERMISSION_MISSING); the admin may', async () => {
    const writer = await minter.mint({ scope: OWN, can: ['read', 'write'], ttlSeconds: 600 });
    const link: Route = { ...ROUTES[1]!, body: { inherit_from: OTHER } };
    expect(await call(link, writer, 'absent')).toMatchObject({ status: 403, code: 'HTTP.PERMISSION_MISSING' });
    expect((await call(link, ADMIN_TOKEN, 'own')).status).toBe(200);
    expect((await call({ ...link, body: { inherit_from: null } }, ADMIN_TOKEN, 'own')).status).toBe(200);
  });

  it('inherit_from - a scoped DELETE clears the scope\'s own settings and keeps the link the operator set', async () => {
    const writer = await minter.mint({ scope: OWN, can: ['read', 'write'], ttlSeconds: 600 });
    const link: Route = { ...ROUTES[1]!, body: { inherit_from: OTHER } };
    expect((await call(link, ADMIN_TOKEN, 'own')).status).toBe(200);
    expect((await call(ROUTES[2]!, writer, 'absent')).status).toBe(204);
    const view = JSON.parse((await call(ROUTES[0]!, ADMIN_TOKEN, 'own')).text);
    expect(view).toMatchObject({ inherit_from: OTHER, api_key_source: 'inherited', model: MODELS[OTHER] });
    // The operator's DELETE removes the link too.
    expect((await call(ROUTES[2]!, ADMIN_TOKEN, 'own')).status).toBe(204);
    expect(JSON.parse((await call(ROUTES[0]!, ADMIN_TOKEN, 'own')).text)).toMatchObject({ inherit_from: null, api_key_source: 'none' });
    await seed();
  });

  it('another scope is refused alike whether it exists or not', async () => {
    const route = ROUTES[0]!;
    const named = async (scope: string) => {
      const response = await fetch(`${server.url}${route.path}`, { headers: { authorization: `Bearer ${tokens.minted}`, 'llm-settings-scope': scope } });
      return [response.status, await response.text()];
    };
    expect(await named(OTHER)).toEqual(await named('tenant-never-written'));
  });

  it('whoami - names the scope and permissions of a scoped token, and the admin', async () => {
    const reader = await minter.mint({ scope: OWN, can: ['read', 'use'], ttlSeconds: 600 });
    expect(JSON.parse((await call(ROUTES[7]!, reader, 'absent')).text)).toEqual({ kind: 'scoped', scope: OWN, can: ['read', 'use'] });
    expect(JSON.parse((await call(ROUTES[7]!, ADMIN_TOKEN, 'absent')).text)).toEqual({ kind: 'admin', scope: null, can: [...PERMISSIONS] });
  });

  it('an identity provider token over 1 KiB is read up to 8 KiB; a longer one is refused', async () => {
    const large = await idp.token({ sub: OWN, padding: 'p'.repeat(5 * 1024) });
    expect(large.length).toBeGreaterThan(6 * 1024);
    expect((await call(ROUTES[0]!, large, 'absent')).status).toBe(200);
    const huge = await idp.token({ sub: OWN, padding: 'p'.repeat(7 * 1024) });
    expect(huge.length).toBeGreaterThan(8 * 1024);
    expect((await call(ROUTES[0]!, huge, 'absent')).status).toBe(401);
  });
});
