import type { Logger } from '@llm-settings/core';
import { levelChecks } from './logger/levels.contract.js';
import type { LoggerContractOptions } from './logger/options.js';
import { redactionChecks } from './logger/redaction.contract.js';
import { describeLoggerChecks } from './logger/support.js';

export * from './logger/options.js';
export { describeLoggerLevels } from './logger/levels.contract.js';
export { describeLoggerRedaction } from './logger/redaction.contract.js';

/**
 * Registers the Logger contract: each method writes one line at its level with the
 * message and fields, lines in order, an optional level threshold, and redaction of
 * secrets: the fields core names in `SECRET_FIELD_NAMES` and every provider's key header
 * (`api-key`, `x-goog-api-key` …; any case, any depth, in arrays) and text shaped like a
 * provider key (`sk-…`, `xai-…`, `gsk_…`, `AIza…`), masked echoes of one included
 * (`sk-proj-****abcd`, `sk-…abcd`, `••••abcd`), in any field or in the message. Each concern is
 * also a suite of its own (`describeLoggerLevels`, `describeLoggerRedaction`), with the same
 * options. Call it at the top level of a test file.
 */
export function describeLoggerContract<L extends Logger>(options: LoggerContractOptions<L>): void {
  describeLoggerChecks(options, levelChecks, redactionChecks);
}
