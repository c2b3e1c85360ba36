import type Router from '@koa/router';
import { PreconditionFailedError, type LlmSettingsService, type SettingsSnapshot } from '@llm-settings/core';
import type { ServerResponse } from 'node:http';
import type { AppContext, AppState } from './app-state.js';
import { formatEtag, parseIfMatch } from './if-match.js';
import type { JsonBodyReader } from './json-body.js';

/** The service methods the adapter calls, so callers may pass a wrapper instead of the class. */
export type HttpSettingsService = Pick<LlmSettingsService, 'get' | 'update' | 'clear' | 'test'>;

export const SETTINGS_PATH = '/api/settings/llm';
export const SETTINGS_TEST_PATH = '/api/settings/llm/test';

/** Registers GET, PUT and DELETE of the settings and POST of their test. */
export function registerSettingsRoutes(router: Router<AppState>, service: HttpSettingsService, readJsonBody: JsonBodyReader): void {
  router.get(SETTINGS_PATH, async (ctx) => {
    sendSnapshot(ctx, await service.get());
  });

  router.put(SETTINGS_PATH, async (ctx) => {
    const body = await readJsonBody(ctx, { required: true });
    const ifMatch = await resolveIfMatch(ctx, service);
    sendSnapshot(ctx, await service.update(body, ifMatch === undefined ? {} : { ifMatch }));
  });

  router.delete(SETTINGS_PATH, async (ctx) => {
    const ifMatch = await resolveIfMatch(ctx, service);
    await service.clear(undefined, ifMatch === undefined ? {} : { ifMatch });
    ctx.status = 204;
  });

  router.post(SETTINGS_TEST_PATH, async (ctx) => {
    const body = await readJsonBody(ctx, { required: false });
    // No body, an empty body and `{}` all mean "test the stored settings".
    const candidate = isEmptyObject(body) ? undefined : body;
    const disconnect = abortOnDisconnect(ctx.res);
    try {
      ctx.body = await service.test(candidate, undefined, { signal: disconnect.signal });
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

/**
 * The If-Match value to hand to the service: `*`, or the one strong tag given. Several
 * tags hold when any equals the current one, so that one is passed on (the service
 * checks it again atomically with the write). Weak tags alone can never hold.
 */
async function resolveIfMatch(ctx: AppContext, service: HttpSettingsService): Promise<string | undefined> {
  const parsed = parseIfMatch(ctx.headers['if-match']);
  if (parsed === undefined) return undefined;
  if (parsed.kind === 'any') return '*';
  const [first, ...others] = parsed.strong;
  if (first === undefined) throw new PreconditionFailedError();
  if (others.length === 0) return first;
  const { etag } = await service.get();
  return parsed.strong.includes(etag) ? etag : first;
}

function isEmptyObject(value: unknown): boolean {
  return value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
}

/** An AbortSignal that aborts when the client goes away before the response is sent. */
function abortOnDisconnect(res: ServerResponse): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('The client disconnected.'));
  };
  res.once('close', onClose);
  return { signal: controller.signal, release: () => res.off('close', onClose) };
}
