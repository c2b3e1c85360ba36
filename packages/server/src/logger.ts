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
          // In place: pino passes a fresh array per call.
          for (let i = 0; i < args.length; i++) {
            const arg = args[i];
            if (typeof arg === 'string') args[i] = redactText(arg);
          }
          return method.apply(this, args);
        },
        streamWrite: escapeUnsafe,
      },
    },
    options.destination,
  );
}

/**
 * The line with core's escapes (`escapeLogLine`), checked first by two native scans: most
 * lines are ASCII without DEL, and the escape's regular expression walks the whole line.
 */
function escapeUnsafe(line: string): string {
  return Buffer.byteLength(line) === line.length && !line.includes('\x7f') ? line : escapeLogLine(line);
}

/** pino's asynchronous destination (a sonic-boom stream). */
export type LogDestination = ReturnType<typeof pino.destination>;

/** Bytes of lines gathered before a write starts (pino's recommended figure). */
const LOG_WRITE_MIN_BYTES = 4096;
/** Longest a line waits for others when traffic is light. */
export const LOG_FLUSH_INTERVAL_MS = 100;

/**
 * pino's asynchronous destination on `fd`: writes happen off the event loop, so a slow or
 * full stdout pipe holds lines in memory instead of stopping the service. Lines are
 * gathered into writes of 4 KiB (about fifteen request lines), and sonic-boom's periodic
 * flush writes the rest every 100 ms: a write per line would cost a thread-pool round trip
 * per request, which measurably slowed the LLM pass-through. pino writes what is still
 * queued when the process exits (it flushes asynchronous destinations synchronously on
 * 'exit'); a graceful stop awaits `logger.flush(callback)` first, which also waits for the
 * write in flight.
 */
export function createLogDestination(fd = 1): LogDestination {
  return pino.destination({ dest: fd, minLength: LOG_WRITE_MIN_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS, sync: false });
}
