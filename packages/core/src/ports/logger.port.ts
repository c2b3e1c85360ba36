/**
 * Structured fields of a log line. Never put a secret here: adapters redact, but do not
 * rely on it. Adapters redact the fields named like secrets (`isSecretFieldName`: any case,
 * `_` and `-` ignored, at any depth, in arrays too) and text shaped like a provider key (`redactText`), masked
 * echoes of one included (`sk-proj-****abcd`, `sk-…abcd`, `••••abcd`), in the fields
 * and in the message.
 */
export type LogFields = Record<string, unknown>;

/** A pino-compatible logger surface, so a pino instance can be passed as it is. */
export interface Logger {
  /** Detail useful when investigating. */
  debug(fields: LogFields, message: string): void;
  /** Normal operation worth recording, such as a settings change. */
  info(fields: LogFields, message: string): void;
  /** Something unexpected the service recovered from. */
  warn(fields: LogFields, message: string): void;
  /** A failure that needs attention. */
  error(fields: LogFields, message: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
