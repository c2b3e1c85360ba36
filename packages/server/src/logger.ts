import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { escapeLogLine, redactDeep, redactText } from '@llm-settings/core';
import type { LogLevel } from './config.js';

/** The `service` field of every line. */
export const LOG_SERVICE = 'llm-settings';

export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** @default stdout */
  destination?: DestinationStream;
}

/**
 * pino JSON lines with secrets removed at the last moment: fields named like
 * secrets (api_key, authorization, …) and anything shaped like a provider key,
 * in the fields and in the message. Characters that would split or reorder a line for
 * log tools (U+2028, U+0085, bidirectional controls) are written as escapes.
 */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: LOG_SERVICE },
      formatters: { log: (fields) => redactDeep(fields) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
        streamWrite: escapeLogLine,
      },
    },
    options.destination,
  );
}
