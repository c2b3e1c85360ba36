import type { LlmProvider } from '@llm-settings/core';
import type { AppContext } from './app-state.js';
import { LLM_PATH_PREFIX, PASS_THROUGH_ROUTES } from './llm-pass-through.js';

const ROOTS = [...new Set(PASS_THROUGH_ROUTES.map((route) => route.provider))].map((provider) => ({ provider, root: `${LLM_PATH_PREFIX}/${provider}` }));

/**
 * The provider whose API the request's path is under (`/api/llm/<provider>/...`, spelt
 * as the routes are), or null: the SDK that can be reading the answer.
 */
export function passThroughProviderOf(ctx: AppContext): LlmProvider | null {
  const found = ROOTS.find(({ root }) => ctx.path === root || ctx.path.startsWith(`${root}/`));
  return found?.provider ?? null;
}
