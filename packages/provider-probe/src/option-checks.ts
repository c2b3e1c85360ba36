import { apiRootProblem, ConfigError } from '@llm-settings/core';
import { MAX_TIMER_MS } from './deadline.js';

/*
 * Checks of factory options. A failure throws ConfigError naming the option, never
 * its value: a base URL may carry credentials.
 */

/** `value` when it is a positive number (capped to what a timer can wait), `fallback` when it is undefined. */
export function positiveNumber<F extends number | undefined>(value: number | undefined, fallback: F, name: string): number | F {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number`);
  return Math.min(value, MAX_TIMER_MS);
}

/** `value` when it is a positive integer, `fallback` when it is undefined. */
export function positiveInteger<F extends number | undefined>(value: number | undefined, fallback: F, name: string): number | F {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer`);
  return value;
}

/** `value` when it is an integer of 0 or more, `fallback` when it is undefined. */
export function nonNegativeInteger<F extends number | undefined>(value: number | undefined, fallback: F, name: string): number | F {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be an integer of 0 or more`);
  return value;
}

/** `value` when it can be an API root (core's rule), `fallback` when it is undefined. */
export function httpUrl(value: string | undefined, fallback: string, name: string): string {
  if (value === undefined) return fallback;
  const problem = apiRootProblem(value);
  if (problem !== null) throw new ConfigError(`${name} ${problem}`);
  return value;
}
