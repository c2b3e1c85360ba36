import { pino } from 'pino';
import { escapeLogLine, redactText } from '@llm-settings/core';
import type { RequestLogEntry, RequestLogWriter } from '@llm-settings/http-koa';
import type { LogLevel } from './config.js';
import { LOG_SERVICE } from './logger.js';

export interface RequestLogLinesOptions {
  level: LogLevel;
  destination: { write(line: string): unknown };
}

const INFO = pino.levels.values.info ?? 30;
const ERROR = pino.levels.values.error ?? 50;

/**
 * The request log as the pino logger would write it (same fields, order and levels),
 * formatted directly: the entry's shape is fixed, so the general path (hooks, a
 * redaction walk of every field, generic serialisation) is not needed, and it costs a
 * large share of a cached GET. Text from outside is redacted again and unsafe characters
 * escaped, as the logger would.
 */
export function createRequestLogLines(options: RequestLogLinesOptions): RequestLogWriter {
  const threshold = options.level === 'silent' ? Infinity : (pino.levels.values[options.level] ?? INFO);
  const prefix = (level: number) => `{"level":${level},"time":`;
  const infoPrefix = prefix(INFO);
  const errorPrefix = prefix(ERROR);
  const service = `,"service":${JSON.stringify(LOG_SERVICE)}`;
  return (entry: RequestLogEntry) => {
    const failed = entry.status >= 500;
    if ((failed ? ERROR : INFO) < threshold) return;
    let line =
      `${failed ? errorPrefix : infoPrefix}${Date.now()}${service}` +
      `,"request_id":${JSON.stringify(redactText(entry.request_id))}` +
      `,"method":${JSON.stringify(entry.method)}` +
      `,"route":${JSON.stringify(entry.route)}` +
      `,"status":${entry.status}` +
      `,"duration_ms":${entry.duration_ms}`;
    if (entry.error_code !== undefined) line += `,"error_code":${JSON.stringify(entry.error_code)}`;
    if (entry.error_message !== undefined) line += `,"error_message":${JSON.stringify(redactText(entry.error_message))}`;
    options.destination.write(escapeLogLine(`${line},"msg":"${failed ? 'http request failed' : 'http request'}"}\n`));
  };
}
