import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';

/** Parses `input` with `schema`, turning zod's issues into a ValidationError that names fields, never values. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
  const summary = issues.map((i) => i.message).join('; ');
  throw new ValidationError(`Invalid ${what}: ${summary}`, issues);
}

/**
 * Refuses an options argument that is not an object (null, a scope name passed alone, an
 * array), which would otherwise fail as a TypeError or quietly mean the default scope.
 * Undefined is no options.
 */
export function checkOptions(options: unknown): void {
  if (options === undefined || (typeof options === 'object' && options !== null && !Array.isArray(options))) return;
  const message = 'options must be an object';
  throw new ValidationError(`Invalid request: ${message}`, [{ path: 'options', message }]);
}
