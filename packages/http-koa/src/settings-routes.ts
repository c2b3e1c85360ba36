import type Router from '@koa/router';
import { type IfMatch, type LlmSettingsService, type SettingsSnapshot } from '@llm-settings/core';
import type { AppContext, AppState } from './app-state.js';
import { abortOnDisconnect } from './disconnect.js';
import { formatEtag, parseIfMatch } from './if-match.js';
import type { JsonBodyReader } from './json-body.js';
import { scopeOf } from './scope-header.js';

/** The service methods the adapter calls, so callers may pass a wrapper instead of the class. */
export type HttpSettingsService = Pick<LlmSettingsService, 'get' | 'update' | 'clear' | 'test' | 'resolve' | 'listModels' | 'listCandidateModels'>;

export const SETTINGS_PATH = '/api/settings/llm';
export const SETTINGS_TEST_PATH = '/api/settings/llm/test';

/** Registers GET, PUT and DELETE of the settings and POST of their test, each for the request's scope. */
export function registerSettingsRoutes(router: Router<AppState>, service: HttpSettingsService, readJsonBody: JsonBodyReader): void {
  router.get(SETTINGS_PATH, async (ctx) => {
    sendSnapshot(ctx, await service.get({ scope: scopeOf(ctx) }));
  });

  router.put(SETTINGS_PATH, async (ctx) => {
    const scope = scopeOf(ctx);
    const ifMatch = ifMatchOf(ctx);
    const body = await readJsonBody(ctx, { required: true });
    sendSnapshot(ctx, await service.update(body, { scope, ...(ifMatch === undefined ? {} : { ifMatch }) }));
  });

  router.delete(SETTINGS_PATH, async (ctx) => {
    const ifMatch = ifMatchOf(ctx);
    await service.clear({ scope: scopeOf(ctx), ...(ifMatch === undefined ? {} : { ifMatch }) });
    ctx.status = 204;
  });

  router.post(SETTINGS_TEST_PATH, async (ctx) => {
    const scope = scopeOf(ctx);
    const body = await readJsonBody(ctx, { required: false });
    // No body, an empty body and `{}` all mean "test the stored settings".
    const candidate = isEmptyObject(body) ? undefined : body;
    const disconnect = abortOnDisconnect(ctx.res);
    try {
      ctx.body = await service.test({ scope, ...(candidate === undefined ? {} : { candidate }), signal: disconnect.signal });
    } finally {
      disconnect.release();
    }
  });
}

/** Answers the view with its ETag; a cached snapshot's JSON is sent as it was made, not serialized again. */
function sendSnapshot(ctx: AppContext, snapshot: SettingsSnapshot): void {
  ctx.set('ETag', formatEtag(snapshot.etag));
  if (snapshot.viewJson === undefined) {
    ctx.body = snapshot.view;
    return;
  }
  // Set first: a string body would otherwise be typed text/plain.
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = snapshot.viewJson;
}

/** The If-Match header as core takes it: `*`, or the strong tags listed (core checks them against the current one). */
function ifMatchOf(ctx: AppContext): IfMatch | undefined {
  const parsed = parseIfMatch(ctx.headers['if-match']);
  if (parsed === undefined) return undefined;
  return parsed.kind === 'any' ? '*' : parsed.strong;
}

function isEmptyObject(value: unknown): boolean {
  return value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
}
