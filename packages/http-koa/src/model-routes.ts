import type Router from '@koa/router';
import type { AppState } from './app-state.js';
import { abortOnDisconnect } from './disconnect.js';
import type { JsonBodyReader } from './json-body.js';
import { scopeOf } from './scope-header.js';
import type { HttpSettingsService } from './settings-routes.js';

export const MODELS_PATH = '/api/settings/llm/models';

/**
 * Registers the model lists: GET for a provider of the request's scope (its stored key's
 * live list, or the built-in catalogue), POST for a candidate key, which stores nothing.
 * Like POST /test, a refused key is an answer (200, with the probe's code as `reason`),
 * and the provider call is aborted when the client goes away.
 */
export function registerModelRoutes(
  router: Router<AppState>,
  service: Pick<HttpSettingsService, 'listModels' | 'listCandidateModels'>,
  readJsonBody: JsonBodyReader,
): void {
  router.get(MODELS_PATH, async (ctx) => {
    const scope = scopeOf(ctx);
    const { provider } = ctx.query;
    const disconnect = abortOnDisconnect(ctx.res);
    try {
      ctx.body = await service.listModels({ scope, ...(provider === undefined ? {} : { provider }), signal: disconnect.signal });
    } finally {
      disconnect.release();
    }
  });

  router.post(MODELS_PATH, async (ctx) => {
    // The scope header is checked like on every settings route, though a candidate has none.
    scopeOf(ctx);
    const body = await readJsonBody(ctx, { required: true });
    const disconnect = abortOnDisconnect(ctx.res);
    try {
      ctx.body = await service.listCandidateModels(body, { signal: disconnect.signal });
    } finally {
      disconnect.release();
    }
  });
}
