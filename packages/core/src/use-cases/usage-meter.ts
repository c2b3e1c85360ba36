import { ValidationError } from '../errors.js';
import { compareCodePoints } from '../key-order.js';
import { looksLikeApiKey } from '../masking.js';
import { silentLogger, type Logger } from '../ports/logger.port.js';
import { MAX_USAGE_MODEL_LENGTH, type UsageCounts, type UsageStore } from '../ports/usage-store.port.js';
import { REDACTED } from '../redaction.js';
import { normalizeScope } from '../scopes.js';
import { checkOptions } from '../validation.js';
import type { TokenUsage } from '../usage-readers.js';

/** Five seconds: what a crash can lose at most. */
export const DEFAULT_USAGE_FLUSH_MS = 5000;
/** About thirteen months, for a year-on-year look. */
export const DEFAULT_USAGE_RETENTION_DAYS = 400;
/** Old rows are pruned at most this often (and once soon after start). */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Rows kept in memory while the store fails; calls of new rows beyond it are dropped, and logged. */
const MAX_PENDING_ROWS = 100_000;
/** The model of a row when neither the answer nor the request named one. */
export const UNKNOWN_MODEL = 'unknown';

const DAY_MS = 24 * 60 * 60 * 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** One LLM call, as the pass-through or an SDK client saw it end. */
export interface MeteredCall {
  readonly scope: string;
  readonly provider: string;
  /** The model the answer named, else the request's; null when neither did. */
  readonly model: string | null;
  /** The provider's status; null when it never answered. */
  readonly status: number | null;
  /** The answer's usage; null when it reported none. */
  readonly usage: TokenUsage | null;
}

/** Takes one ended call; must be cheap and must not throw (it runs on the call's path). */
export type UsageRecorder = (call: MeteredCall) => void;

/** One row of usage as it is read: a UTC day, a provider and a model of one scope. */
export type UsageRow = Omit<UsageCounts, 'scope'>;

/** `from` and `to` as `YYYY-MM-DD` (UTC days, both included); the default scope without one. */
export interface UsageReadOptions {
  readonly scope?: string;
  readonly from: string;
  readonly to: string;
}

export interface UsageMeterOptions {
  readonly store: UsageStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * Counts are written to the store at most this often, in one batch.
   * @default 5000
   */
  readonly flushMs?: number;
  /**
   * Rows older than this many days are pruned, in the background; null prunes nothing
   * (a one-shot tool, whose process another prunes for).
   * @default 400
   */
  readonly retentionDays?: number | null;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

type MutableCounts = { -readonly [K in keyof UsageCounts]: UsageCounts[K] };

/**
 * Counts LLM calls per scope, UTC day, provider and model in memory, and adds them to the
 * store in batches (every `flushMs` and on `close()`), so that no call waits for a
 * database write. A failed write keeps its counts for the next one; `close()` tries once
 * more, then logs an error naming how many rows it could not write. A crash loses at most
 * the counts of the last interval.
 */
export class UsageMeter {
  private pending = new Map<string, MutableCounts>();
  private dropped = 0;
  /**
   * The meter's store work, one at a time: each flush's write and each read. A read between a
   * flush taking the pending counts and the store holding them would see them in neither.
   */
  private storeWork: Promise<unknown> = Promise.resolve();
  private lastPrune = Number.NEGATIVE_INFINITY;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly store: UsageStore;
  private readonly logger: Logger;
  private readonly retentionDays: number | null;
  private readonly now: () => Date;
  private closed = false;
  /** What `close()` does, started by its first call: every call waits for it. */
  private closing: Promise<void> | undefined;
  /** The UTC day last counted in: its first millisecond and its `YYYY-MM-DD`. */
  private dayStart = Number.NEGATIVE_INFINITY;
  private dayText = '';

  constructor(options: UsageMeterOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => new Date());
    const flushMs = options.flushMs ?? DEFAULT_USAGE_FLUSH_MS;
    this.retentionDays = options.retentionDays === undefined ? DEFAULT_USAGE_RETENTION_DAYS : options.retentionDays;
    // A timer, not a write per call; unref'd so that it never keeps a process alive.
    this.timer = setInterval(() => void this.tick(), flushMs);
    this.timer.unref?.();
  }

  /** Counts one ended call. Cheap and never throws: it runs on the call's path. */
  readonly record: UsageRecorder = (call) => {
    if (this.closed) return;
    const date = this.day(this.now().getTime());
    const model = modelName(call.model);
    const key = `${call.scope}\n${date}\n${call.provider}\n${model}`;
    let row = this.pending.get(key);
    if (row === undefined) {
      if (this.pending.size >= MAX_PENDING_ROWS) {
        this.dropped += 1;
        return;
      }
      row = { scope: call.scope, date, provider: call.provider, model, calls: 0, failedCalls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
      this.pending.set(key, row);
    }
    row.calls += 1;
    if (call.status === null || call.status < 200 || call.status > 299) row.failedCalls += 1;
    if (call.usage !== null) {
      row.inputTokens += call.usage.inputTokens;
      row.outputTokens += call.usage.outputTokens;
      row.cachedInputTokens += call.usage.cachedInputTokens;
    }
  };

  /** The UTC day of `time` as `YYYY-MM-DD`, formatted once a day: formatting a date costs more than the rest of a call's count. */
  private day(time: number): string {
    if (!(time >= this.dayStart && time < this.dayStart + DAY_MS)) {
      this.dayStart = time - (((time % DAY_MS) + DAY_MS) % DAY_MS);
      this.dayText = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.dayText;
  }

  /** Writes the counts kept so far in one batch; on failure they stay for the next one. Resolves after the write. */
  flush(): Promise<void> {
    return this.inTurn(() => this.writePending());
  }

  /**
   * The rows of a scope between two UTC days, both included, counts not yet written added.
   * It waits for a flush in flight, so that each call is counted once.
   * @throws ValidationError for a date that is not `YYYY-MM-DD`, or `from` after `to`.
   */
  async read(options: UsageReadOptions): Promise<UsageRow[]> {
    checkOptions(options);
    // Without options (a caller without types), the dates are missing, and refused as such.
    const query: Partial<UsageReadOptions> = options ?? {};
    const scope = normalizeScope(query.scope);
    const from = dateOf(query.from, 'from');
    const to = dateOf(query.to, 'to');
    if (from > to) throw new ValidationError('Invalid request: from must not be after to', [{ path: 'from', message: 'must not be after to' }]);
    return this.inTurn(async () => {
      const rows = new Map<string, MutableCounts>();
      const add = (counts: UsageCounts) => {
        if (counts.scope !== scope || counts.date < from || counts.date > to) return;
        const key = `${counts.date}\n${counts.provider}\n${counts.model}`;
        const row = rows.get(key);
        if (row === undefined) rows.set(key, { ...counts });
        else addCounts(row, counts);
      };
      // No flush runs meanwhile: every count is in the store or still pending, once.
      for (const counts of await this.store.read({ scope, from, to })) add(counts);
      for (const counts of this.pending.values()) add(counts);
      return [...rows.values()].sort(byDateProviderModel).map(({ scope: _scope, ...row }) => row);
    });
  }

  /**
   * Stops the timer and writes what is left, trying a failed write once more; later calls
   * are not counted. Every call resolves once that is done, so a caller may then close the store.
   */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.inTurn(() => this.writePending({ last: true }));
  }

  /** Runs `work` once the store work before it has settled; a failure of one does not stop the next. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const done = this.storeWork.then(work);
    this.storeWork = done.catch(() => undefined);
    return done;
  }

  private async tick(): Promise<void> {
    await this.flush();
    if (this.retentionDays !== null && this.now().getTime() - this.lastPrune >= PRUNE_INTERVAL_MS) await this.prune(this.retentionDays);
  }

  /** `last`: no flush comes after this one, so a failed write's counts are lost, and said to be. */
  private async writePending({ last = false } = {}): Promise<void> {
    if (this.dropped > 0) {
      this.logger.warn({ dropped_calls: this.dropped, pending_rows: this.pending.size }, 'usage: calls not counted, too many rows waiting for the store');
      this.dropped = 0;
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.add([...batch.values()]);
    } catch (error) {
      // The error's name only: a driver's message may name the database.
      if (last) {
        this.logger.error({ rows: batch.size, error_name: errorName(error) }, 'usage: writing the counts failed at close; their calls stay uncounted');
        return;
      }
      // Kept for the next flush, with the calls counted meanwhile.
      for (const [key, counts] of batch) {
        const row = this.pending.get(key);
        if (row === undefined) this.pending.set(key, counts);
        else addCounts(row, counts);
      }
      this.logger.warn({ rows: batch.size, error_name: errorName(error) }, 'usage: writing the counts failed; kept for the next flush');
    }
  }

  private async prune(retentionDays: number): Promise<void> {
    const now = this.now().getTime();
    this.lastPrune = now;
    const before = new Date(now - retentionDays * DAY_MS).toISOString().slice(0, 10);
    try {
      const deleted = await this.store.prune(before);
      if (deleted > 0) this.logger.info({ deleted_rows: deleted, before }, 'usage: old rows pruned');
    } catch (error) {
      this.logger.warn({ error_name: errorName(error) }, 'usage: pruning old rows failed');
    }
  }
}

function addCounts(row: MutableCounts, counts: UsageCounts): void {
  row.calls += counts.calls;
  row.failedCalls += counts.failedCalls;
  row.inputTokens += counts.inputTokens;
  row.outputTokens += counts.outputTokens;
  row.cachedInputTokens += counts.cachedInputTokens;
}

/**
 * A model name as a row keeps it: data from the provider or the caller, bounded and without
 * control characters; one that looks like an API key (a key sent as the model) is stored as
 * `[REDACTED]`, as settings refuse such a model.
 */
export function modelName(model: string | null): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = (model ?? '').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_USAGE_MODEL_LENGTH);
  if (cleaned === '') return UNKNOWN_MODEL;
  return looksLikeApiKey(cleaned) ? REDACTED : cleaned;
}

function dateOf(value: unknown, name: string): string {
  const time = typeof value === 'string' && DATE.test(value) ? new Date(`${value}T00:00:00Z`).getTime() : Number.NaN;
  // Not NaN, and not rolled over (2025-02-30 is not March 2nd).
  const valid = !Number.isNaN(time) && new Date(time).toISOString().startsWith(value as string);
  if (!valid) throw new ValidationError(`Invalid request: ${name} must be a date as YYYY-MM-DD`, [{ path: name, message: 'must be a date as YYYY-MM-DD' }]);
  return value as string;
}

/** The order `UsageStore.read` promises. */
export function byDateProviderModel(a: UsageCounts, b: UsageCounts): number {
  return compareCodePoints(a.date, b.date) || compareCodePoints(a.provider, b.provider) || compareCodePoints(a.model, b.model);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
