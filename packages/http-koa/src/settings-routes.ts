import type { ProtectedRoutes } from './protected-routes.js';
import type { LlmSettingsService, SettingsSnapshot } from '@llm-settings/core';
import type { AppContext, AppState, BodyState, PreconditionsState, ScopeState, SignalState } from './app-state.js';
import { actorOfRequest, isOperator, refuseInheritFromNonOperator } from './caller-rules.js';
import { formatEtag, namesTag, parseIfNoneMatch } from './if-match.js';
import type { JsonBodyMiddleware } from './json-body.js';
import { may } from './permissions.js';
import { abortable, conditional, mayInScope, scoped } from './route-state.js';

/** The service methods the adapter calls, so callers may pass a wrapper instead of the class. */
export type HttpSettingsService = Pick<LlmSettingsService, 'get' | 'update' | 'clear' | 'test' | 'resolve' | 'listModels' | 'listCandidateModels' | 'history'>;

export const SETTINGS_PATH = '/api/settings/llm';
export const SETTINGS_TEST_PATH = '/api/settings/llm/test';
export const SETTINGS_HISTORY_PATH = '/api/settings/llm/history';

/**
 * Registers GET, PUT and DELETE of the settings on `resource`, POST of their test and GET
 * of their history on `subResources`, each for the request's scope; changes are recorded
 * under the caller's actor. The settings' own path has routes of its own: a router
 * matches every route it holds, and that GET is most of the traffic.
 */
export function registerSettingsRoutes(resource: ProtectedRoutes, subResources: ProtectedRoutes, service: HttpSettingsService, jsonBody: JsonBodyMiddleware): void {
  resource.get<ScopeState>(SETTINGS_PATH, mayInScope('read'), async (ctx) => {
    const snapshot = await service.get({ scope: ctx.state.scope });
    sendSnapshot(ctx, snapshot);
    // The client's copy is current: 304, without the body. Only for the scope's own settings:
    // the tag is their version, which an inherited view or the defaults outlive. Not Koa's
    // `fresh`, which says stale whenever the request has Cache-Control: no-cache, as fetch() adds to every conditional request.
    const ifNoneMatch = ctx.request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && snapshot.view.api_key_source === 'own' && namesTag(parseIfNoneMatch(ifNoneMatch)!, snapshot.etag)) ctx.response.status = 304;
  });

  resource.put<ScopeState & PreconditionsState & BodyState>(SETTINGS_PATH, mayInScope('write'), conditional, jsonBody({ required: true }), async (ctx) => {
    const { scope, preconditions, body } = ctx.state;
    refuseInheritFromNonOperator(ctx, body);
    sendSnapshot(ctx, await service.update(body, { scope, actor: actorOfRequest(ctx), ...preconditions }));
  });

  resource.delete<ScopeState & PreconditionsState>(SETTINGS_PATH, may('write'), conditional, scoped, async (ctx) => {
    const { scope, preconditions } = ctx.state;
    // A scoped token clears its own settings only: the link to a parent is the operator's.
    await service.clear({ scope, actor: actorOfRequest(ctx), keepLink: !isOperator(ctx), ...preconditions });
    ctx.status = 204;
  });

  subResources.get<ScopeState>(SETTINGS_HISTORY_PATH, mayInScope('read'), async (ctx) => {
    const { limit, before } = ctx.query;
    ctx.body = await service.history({ scope: ctx.state.scope, ...(limit === undefined ? {} : { limit }), ...(before === undefined ? {} : { before }) });
  });

  subResources.post<ScopeState & BodyState & SignalState>(SETTINGS_TEST_PATH, mayInScope('test'), jsonBody({ required: false }), abortable, async (ctx) => {
    const { scope, body, signal } = ctx.state;
    // No body, an empty body and `{}` all mean "test the stored settings".
    const candidate = isEmptyObject(body) ? undefined : body;
    ctx.body = await service.test({ scope, ...(candidate === undefined ? {} : { candidate }), signal });
  });
}

/** Answers the view with its ETag; a cached snapshot's JSON is sent as it was made, not serialized again. */
function sendSnapshot(ctx: AppContext, snapshot: SettingsSnapshot): void {
  const { response } = ctx;
  response.set('ETag', formatEtag(snapshot.etag));
  if (snapshot.viewJson === undefined) {
    response.body = snapshot.view;
    return;
  }
  // Set first: a string body would otherwise be typed text/plain.
  response.type = 'application/json; charset=utf-8';
  response.body = snapshot.viewJson;
}

function isEmptyObject(value: unknown): boolean {
  return value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
}
