import type { Logger } from '@llm-settings/core';
import { describe } from 'vitest';
import type { LoggerContractOptions } from './options.js';

/** Checks of one concern of the contract, for the loggers `create` makes (one per test). */
export type LoggerChecks<L extends Logger> = (options: LoggerContractOptions<L>) => void;

/** Registers `checks` under the suite's title (`Logger contract: <name>`): the whole contract, or one concern of it. */
export function describeLoggerChecks<L extends Logger>(options: LoggerContractOptions<L>, ...checks: readonly LoggerChecks<L>[]): void {
  describe(`Logger contract: ${options.name}`, () => {
    for (const register of checks) register(options);
  });
}
