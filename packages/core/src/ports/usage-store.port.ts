/**
 * The counts of one scope, UTC day, provider and model: the key of a usage row and what
 * is added to it. Every count is a non-negative safe integer.
 */
export interface UsageCounts {
  /** The settings' scope (tenant) the calls were made for. */
  readonly scope: string;
  /** The UTC day of the calls, `YYYY-MM-DD`. */
  readonly date: string;
  /** The provider id (`anthropic`, `openai`, ...). */
  readonly provider: string;
  /** The model the answers named (else the requests'): data, at most {@link MAX_USAGE_MODEL_LENGTH} characters. */
  readonly model: string;
  readonly calls: number;
  /** Calls the provider failed or never answered (any status but 2xx). */
  readonly failedCalls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens read from the provider's cache, where the provider reports them (0 otherwise). */
  readonly cachedInputTokens: number;
}

/** The longest model name a usage row keeps; longer ones are cut. */
export const MAX_USAGE_MODEL_LENGTH = 128;

/** Which rows to read: one scope, the UTC days from `from` to `to`, both included. */
export interface UsageQuery {
  readonly scope: string;
  /** `YYYY-MM-DD`. */
  readonly from: string;
  /** `YYYY-MM-DD`, not before `from`. */
  readonly to: string;
}

/**
 * The LLM calls counted per (scope, date, provider, model), shared by every process on
 * the same backend. Errors: an unreachable backend is a StorageUnavailableError whose
 * message names no host or password.
 */
export interface UsageStore {
  /**
   * Adds each entry's counts to its row (scope, date, provider, model), creating the row
   * when absent, atomically: several processes adding to one row at once lose nothing.
   * Either every entry is added or, when it throws, none is.
   */
  add(entries: readonly UsageCounts[]): Promise<void>;

  /**
   * The rows of one scope between two days, both included.
   * @returns the rows sorted by date, then provider, then model (code point order); [] when none.
   */
  read(query: UsageQuery): Promise<UsageCounts[]>;

  /**
   * Deletes the rows of every scope dated before `before` (`YYYY-MM-DD`, excluded).
   * @returns how many rows were deleted.
   */
  prune(before: string): Promise<number>;
}
