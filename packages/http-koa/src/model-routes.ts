import type { ProtectedRoutes } from './protected-routes.js';
import type { AppState, BodyState, ScopeState, SignalState } from './app-state.js';
import type { JsonBodyMiddleware } from './json-body.js';
import { abortable, mayInScope } from './route-state.js';
import type { HttpSettingsService } from './settings-routes.js';

export const MODELS_PATH = '/api/settings/llm/models';

/**
 * Registers the model lists: GET for a provider of the request's scope (its stored key's
 * live list, or the built-in catalogue), POST for a candidate key, which stores nothing.
 * Like POST /test, a refused key is an answer (200, with the probe's code as `reason`),
 * and the provider call is aborted when the client goes away.
 */
export function registerModelRoutes(
  router: ProtectedRoutes,
  service: Pick<HttpSettingsService, 'listModels' | 'listCandidateModels'>,
  jsonBody: JsonBodyMiddleware,
): void {
  router.get<ScopeState & SignalState>(MODELS_PATH, mayInScope('models'), abortable, async (ctx) => {
    const { scope, signal } = ctx.state;
    const { provider } = ctx.query;
    ctx.body = await service.listModels({ scope, ...(provider === undefined ? {} : { provider }), signal });
  });

  // A candidate belongs to no scope; the caller's scope keeps its listing from being shared with another tenant's.
  router.post<ScopeState & BodyState & SignalState>(MODELS_PATH, mayInScope('models'), jsonBody({ required: true }), abortable, async (ctx) => {
    const { scope, body, signal } = ctx.state;
    ctx.body = await service.listCandidateModels(body, { scope, signal });
  });
}
