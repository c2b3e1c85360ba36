import type { Logger } from '@llm-settings/core';

export type LoggerContractLevel = 'debug' | 'info' | 'warn' | 'error';

/** One line as the adapter wrote it, read back. */
export interface LoggedLine {
  readonly level: LoggerContractLevel;
  readonly message: string;
  /** The fields of the line: those logged, and any the adapter adds (time, service …). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger under test and a way to read what it wrote. */
export interface LoggerUnderTest<L extends Logger = Logger> {
  readonly logger: L;
  /** Everything written so far, exactly as written (e.g. the JSON lines): the suite looks for secrets here. */
  written(): string | Promise<string>;
  /** The lines written so far, in order, parsed. */
  lines(): readonly LoggedLine[] | Promise<readonly LoggedLine[]>;
}

export interface LoggerContractOptions<L extends Logger = Logger> {
  /** Names the adapter in test titles. */
  name: string;
  /** Builds a logger that writes every level, debug included, where the suite can read it. Called for each test. */
  create: () => LoggerUnderTest<L> | Promise<LoggerUnderTest<L>>;
  /**
   * Builds a logger that writes `level` and the levels above it only. Without it, the
   * level threshold checks are skipped.
   */
  createAtLevel?: (level: LoggerContractLevel) => LoggerUnderTest<L> | Promise<LoggerUnderTest<L>>;
}
