import type { ProtectedRoutes } from './protected-routes.js';
import { PERMISSIONS, type Permission } from '@llm-settings/core';
import type { AppState } from './app-state.js';

export const WHOAMI_PATH = '/api/settings/llm/whoami';

/** Who the request's token stands for: the admin (every scope, every permission), or one scope and its permissions. */
export type CallerView = { kind: 'admin'; scope: null; can: readonly Permission[] } | { kind: 'scoped'; scope: string; can: readonly Permission[] };

const ADMIN_VIEW: CallerView = { kind: 'admin', scope: null, can: PERMISSIONS };

/**
 * Registers `GET /api/settings/llm/whoami`, open to every caller that passed the access
 * check (no permission needed): the settings page asks it what to show, rather than
 * decoding a token in the browser. It names no token id or subject.
 */
export function registerCallerRoute(router: ProtectedRoutes): void {
  router.get(WHOAMI_PATH, (ctx) => {
    const { caller } = ctx.state;
    ctx.body = caller?.kind === 'scoped' ? { kind: 'scoped', scope: caller.scope, can: caller.can } : ADMIN_VIEW;
  });
}
