import type { LlmProvider } from '../providers.js';
import type { ProbeCode } from '../schemas.js';

export interface ProbeRequest {
  readonly provider: LlmProvider;
  readonly apiKey: string;
  readonly model: string;
  /** Aborts the probe; the outcome is then `timeout`. */
  readonly signal?: AbortSignal;
  /** Upper bound for the whole call, in milliseconds. */
  readonly timeoutMs?: number;
  /**
   * Who asks (the caller's scope). An adapter that shares identical calls in flight shares
   * them within one partition only: a caller never joins, nor can time, another tenant's
   * call, which would tell it that its guess is the key that tenant is testing.
   * @default '' (one partition)
   */
  readonly partition?: string;
}

export interface ProbeOutcome {
  readonly code: ProbeCode;
  /**
   * Short, human and ours, from fixed wording: never a provider body, never any part of
   * the key, and never the model or other caller text (scrubbing that of the key would
   * let the answer tell whether it held part of the key).
   */
  readonly message: string;
  /** Measured duration of the call, or null when no call was made. */
  readonly latencyMs: number | null;
  /** The provider's request id, when it sent one. */
  readonly requestId?: string | null;
}

/** Checks a key and model against a provider with one cheap call. It never sees the store. */
export interface ProviderProbe {
  /**
   * Makes one call to the provider with the given key and model.
   * @returns the outcome; provider and network failures are outcomes, not exceptions.
   * @throws ProbeBusyError when the adapter's limit of probes in flight is reached.
   */
  probe(request: ProbeRequest): Promise<ProbeOutcome>;
}
