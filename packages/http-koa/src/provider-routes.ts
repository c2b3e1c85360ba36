import type { ProtectedRoutes } from './protected-routes.js';
import { providerListOf, type ProviderRegistry } from '@llm-settings/core';
import type { AppState } from './app-state.js';
import { may } from './permissions.js';

export const PROVIDERS_PATH = '/api/settings/llm/providers';

/** Registers GET of the enabled providers, which a settings page builds its provider list from. */
export function registerProviderRoutes(router: ProtectedRoutes, providers: ProviderRegistry): void {
  // Operator configuration, the same for every scope and request: made once.
  const body = JSON.stringify(providerListOf(providers));
  router.get(PROVIDERS_PATH, may('read'), (ctx) => {
    ctx.type = 'application/json';
    ctx.body = body;
  });
}
