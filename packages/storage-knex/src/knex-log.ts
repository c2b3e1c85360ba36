import { redactText, type Logger } from '@llm-settings/core';
import type { Knex } from 'knex';

/** Longest message passed on: enough for knex's one-line reasons, short of dumps. */
const MAX_MESSAGE_LENGTH = 300;

/** Log fields marking the lines as knex's own. */
const FIELDS = { component: 'knex' } as const;

/**
 * One short line from what knex logs: the first line only (knex appends stack
 * traces), never bound values (debug output is a query object: only its SQL,
 * with placeholders, is kept), with `secrets` and key-shaped text redacted.
 */
export function knexLogLine(message: unknown, secrets: readonly string[]): string {
  let text: string;
  if (typeof message === 'string') text = message;
  else if (typeof (message as { sql?: unknown } | null)?.sql === 'string') text = (message as { sql: string }).sql;
  else text = 'knex logged a non-text message';
  const firstLine = redactText(text, secrets).split('\n', 1)[0] ?? '';
  return firstLine.length > MAX_MESSAGE_LENGTH ? `${firstLine.slice(0, MAX_MESSAGE_LENGTH)}…` : firstLine;
}

/** knex's `log` hooks, routed to `logger` instead of knex's default console output. */
export function knexLogHooks(logger: Logger, secrets: readonly string[]): Knex.Logger {
  return {
    debug: (message: unknown) => logger.debug(FIELDS, knexLogLine(message, secrets)),
    warn: (message: unknown) => logger.warn(FIELDS, knexLogLine(message, secrets)),
    error: (message: unknown) => logger.error(FIELDS, knexLogLine(message, secrets)),
    // At run time knex passes one composed message, despite its typings.
    deprecate: (message: unknown) => logger.warn(FIELDS, knexLogLine(message, secrets)),
  };
}
