import Router from '@koa/router';
import { ADMIN_CALLER, type Caller, type CallerToken } from '@llm-settings/core';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppState, ScopeState } from '../src/app-state.js';
import { may } from '../src/permissions.js';
import { HttpError } from '../src/problems.js';
import { mayInScope, scoped } from '../src/route-state.js';
import { listen } from './helpers.js';

const TOKEN: CallerToken = { kind: 'minted', id: 'token-1', subject: null };
const READER: Caller = { kind: 'scoped', scope: 'team-a', can: ['read'], token: TOKEN };
const WRITER: Caller = { kind: 'scoped', scope: 'team-a', can: ['write'], token: TOKEN };
const ADMIN = ADMIN_CALLER;

/** A Koa app whose caller is the test's, answering `{ scope }` or the HttpError's status and code. */
function appWith(caller: () => Caller | undefined): Koa {
  const app = new Koa<AppState & ScopeState>();
  app.use(async (ctx, next) => {
    try {
      const current = caller();
      if (current !== undefined) ctx.state.caller = current;
      await next();
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      ctx.status = error.status;
      ctx.body = { code: error.code, detail: error.message };
    }
  });
  const router = new Router<AppState & ScopeState>();
  router.get('/merged', mayInScope('read'), (ctx) => {
    ctx.body = { scope: ctx.state.scope ?? null };
  });
  router.get('/apart', may('read'), scoped, (ctx) => {
    ctx.body = { scope: ctx.state.scope ?? null };
  });
  router.get('/undeclared', scoped, (ctx) => {
    ctx.body = { scope: ctx.state.scope ?? null };
  });
  app.use(router.routes());
  return app;
}

describe('mayInScope', () => {
  let caller: Caller | undefined;
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await listen(appWith(() => caller));
  });
  afterAll(() => server.close());

  async function get(path: string, scope?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const answer = await fetch(`${server.url}${path}`, { headers: scope === undefined ? {} : { 'LLM-Settings-Scope': scope } });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  }

  it('answers as may(permission) and scoped listed apart, for the admin and scoped callers, each scope named or not', async () => {
    for (const current of [ADMIN, READER, WRITER, undefined]) {
      caller = current;
      for (const scope of [undefined, 'team-a', 'team-b']) {
        expect(await get('/merged', scope), `${JSON.stringify(current)} ${scope}`).toEqual(await get('/apart', scope));
      }
    }
  });

  it('a scoped caller: its own scope when none is named; another scope is HTTP.SCOPE_FORBIDDEN; a missing permission is HTTP.PERMISSION_MISSING, checked first', async () => {
    caller = READER;
    expect(await get('/merged')).toEqual({ status: 200, body: { scope: 'team-a' } });
    expect(await get('/merged', 'team-b')).toMatchObject({ status: 403, body: { code: 'HTTP.SCOPE_FORBIDDEN' } });
    caller = WRITER;
    expect(await get('/merged', 'team-b')).toMatchObject({ status: 403, body: { code: 'HTTP.PERMISSION_MISSING', detail: 'This token lacks the "read" permission.' } });
  });

  it('the admin reaches the scope it names', async () => {
    caller = ADMIN;
    expect(await get('/merged', 'team-b')).toEqual({ status: 200, body: { scope: 'team-b' } });
  });

  it('scoped on a route that names no permission refuses a scoped caller (deny by default), not the admin', async () => {
    caller = READER;
    expect(await get('/undeclared')).toMatchObject({ status: 403, body: { code: 'HTTP.PERMISSION_MISSING', detail: 'This route is not open to scoped tokens.' } });
    caller = ADMIN;
    expect(await get('/undeclared', 'team-b')).toEqual({ status: 200, body: { scope: 'team-b' } });
  });
});
