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

/** pino's asynchronous destination (a sonic-boom stream). */
export type LogDestination = ReturnType<typeof pino.destination>;

/**
 * pino's asynchronous destination on `fd`: writes happen off the event loop, so a slow or
 * full stdout pipe holds lines in memory instead of stopping the service. A line starts a
 * write as soon as none is in flight, and the lines logged meanwhile go together in the
 * next one: under load a write carries about twenty request lines, and when traffic is
 * light no line waits. pino writes what is still queued when the process exits (it flushes
 * asynchronous destinations synchronously on 'exit'); a graceful stop awaits
 * `logger.flush(callback)` first, which also waits for the write in flight.
 */
export function createLogDestination(fd = 1): LogDestination {
  // A larger minimum would hold lines until enough follow, or until sonic-boom's periodic
  // flush, which writes every interval even when idle. 1 rather than 0: at 0, flush()
  // returns at once, without waiting for the write in flight.
  return pino.destination({ dest: fd, minLength: 1, sync: false });
}
