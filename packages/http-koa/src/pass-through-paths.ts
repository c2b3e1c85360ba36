import type { ProviderDialect, ProviderRegistry } from '@llm-settings/core';
import type { AppContext } from './app-state.js';
import { LLM_PATH_PREFIX } from './llm-pass-through.js';

/**
 * The dialect of the provider whose API the request's path is under
 * (`/api/llm/<provider>/...`, one of the enabled providers, spelt as the routes are), or
 * null: which SDK can be reading the answer.
 */
export function passThroughDialectOf(providers: ProviderRegistry): (ctx: AppContext) => ProviderDialect | null {
  const roots = providers.enabled().map(({ id, dialect }) => ({ dialect, root: `${LLM_PATH_PREFIX}/${id}` }));
  return (ctx) => roots.find(({ root }) => ctx.path === root || ctx.path.startsWith(`${root}/`))?.dialect ?? null;
}
