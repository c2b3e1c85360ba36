import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { escapeLogLine, redactDeep, redactLogText } from '@llm-settings/core';
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
 * pino JSON lines with secrets removed at the last moment: fields named like secrets
 * (api_key, authorization, ENCRYPTION_KEY, …: core's `isSecretFieldName`), anything shaped
 * like a provider key and the passwords of URLs, in the fields, in a child logger's
 * bindings and in the message with its format arguments. Characters that would split or
 * reorder a line for log tools (U+2028, U+0085, bidirectional controls) are written as
 * escapes.
 */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { service: LOG_SERVICE },
      formatters: { log: redactFields },
      hooks: {
        logMethod(args, method) {
          // pino takes a first object as the line's fields (formatters.log redacts them) and
          // formats the rest into the message: its text and its %s, %o, %j arguments.
          // In place: pino passes a fresh array per call.
          const values: unknown[] = args;
          const fieldsFirst = typeof values[0] === 'object';
          for (let i = fieldsFirst ? 1 : 0; i < values.length; i++) values[i] = redactArgument(values[i]);
          // Without a message pino writes the error's (`log.error(err)`, `log.error({ err })`), which no formatter sees.
          if (fieldsFirst && values[1] === undefined) {
            const message = errorMessageOf(values[0]);
            if (message !== undefined) values[1] = redactDeep(message);
          }
          return method.apply(this, args);
        },
        streamWrite: escapeUnsafe,
      },
    },
    options.destination,
  );
  // pino writes a child's bindings without formatters.bindings (it resets that for children),
  // so they are redacted on the way in. pino makes a child with Object.create(parent): every
  // descendant inherits these two.
  const { child, setBindings } = logger;
  logger.child = function (this: PinoLogger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as PinoLogger['child'];
  logger.setBindings = function (this: PinoLogger, bindings) {
    setBindings.call(this, redactFields(bindings));
  };
  return logger;
}

function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactDeep(fields) as Record<string, unknown>;
}

/** An argument formatted into the message. An error as `%s` shows it: its name and message. */
function redactArgument(arg: unknown): unknown {
  return arg instanceof Error ? redactLogText(String(arg)) : redactDeep(arg);
}

/** The message pino takes when a line has none: an error's, given alone or as the `err` field. */
function errorMessageOf(fields: unknown): unknown {
  if (fields instanceof Error) return fields.message;
  const { msg, err } = (fields ?? {}) as { msg?: unknown; err?: unknown };
  return msg === undefined && typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
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
