import { isScopeName, ValidationError } from '@llm-settings/core';
import type { AppContext } from './app-state.js';

/** The request header naming the settings' scope (tenant, user, workspace). */
export const SCOPE_HEADER = 'LLM-Settings-Scope';
/** Node's name for it in `req.headers`. */
export const SCOPE_FIELD = SCOPE_HEADER.toLowerCase();

const SCOPE_RULE = `${SCOPE_HEADER} must be 1 to 128 letters, digits or . _ : @ - and start with a letter or digit, and hold no API key (sk-…)`;

/**
 * The scope a request names in {@link SCOPE_HEADER}, or undefined (the default scope)
 * without the header.
 * @throws ValidationError naming the header, never its value, when it is not a scope.
 */
export function scopeOf(ctx: AppContext): string | undefined {
  const value = ctx.request.headers[SCOPE_FIELD];
  if (value === undefined) return undefined;
  if (!isScopeName(value)) {
    throw new ValidationError(`Invalid request: ${SCOPE_RULE}`, [{ path: SCOPE_HEADER, message: SCOPE_RULE }]);
  }
  return value;
}
