import type { ProtectedRoutes } from './protected-routes.js';
import { ValidationError, type UsageReadOptions, type UsageRecorder, type UsageRow } from '@llm-settings/core';
import type { AppState, ScopeState } from './app-state.js';
import { mayInScope } from './route-state.js';

export const USAGE_PATH = '/api/settings/llm/usage';

/** The tenant's usage: what counts the pass-through's calls, and reads the counts back. Core's `UsageMeter` fits. */
export interface HttpUsage {
  /** Takes each counted pass-through call as it ends: cheap, never throws, never waits for a write. */
  record: UsageRecorder;
  /**
   * The rows of one scope between two UTC days, both included.
   * @throws ValidationError for dates that are not `YYYY-MM-DD` or `from` after `to`.
   */
  read(options: UsageReadOptions): Promise<UsageRow[]>;
}

/** A row as the API answers it: snake_case, as every other body. */
function wireRow(row: UsageRow) {
  return {
    date: row.date,
    provider: row.provider,
    model: row.model,
    calls: row.calls,
    failed_calls: row.failedCalls,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_input_tokens: row.cachedInputTokens,
  };
}

/** Registers `GET /api/settings/llm/usage?from=YYYY-MM-DD&to=YYYY-MM-DD` for the request's scope. */
export function registerUsageRoutes(router: ProtectedRoutes, usage: HttpUsage): void {
  router.get<ScopeState>(USAGE_PATH, mayInScope('read'), async (ctx) => {
    const { scope } = ctx.state;
    const rows = await usage.read({ ...(scope === undefined ? {} : { scope }), from: dayParameter(ctx.query.from, 'from'), to: dayParameter(ctx.query.to, 'to') });
    ctx.body = { rows: rows.map(wireRow) };
  });
}

/** One value of a required query parameter; core checks its form. */
function dayParameter(value: string | string[] | undefined, name: string): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`Invalid request: the query needs one ${name}=YYYY-MM-DD`, [{ path: name, message: 'one date as YYYY-MM-DD is required' }]);
  }
  return value;
}
