import type { LlmProvider } from '../providers.js';
import type { ProbeCode } from '../schemas.js';

export interface ModelListRequest {
  readonly provider: LlmProvider;
  readonly apiKey: string;
  /** Aborts the listing; the outcome is then `timeout`. */
  readonly signal?: AbortSignal;
  /** Upper bound for the whole listing, every page included, in milliseconds. */
  readonly timeoutMs?: number;
  /**
   * Who asks (the caller's scope); identical listings in flight are shared within one
   * partition only, as {@link ProbeRequest.partition} says.
   * @default '' (one partition)
   */
  readonly partition?: string;
}

/** A model as the provider lists it. */
export interface ListedModel {
  readonly id: string;
  /** The provider's human name for it, or null when it gives none (OpenAI). */
  readonly displayName: string | null;
}

/** The provider listed the key's models: every page of them, in the provider's order. */
export interface ModelListSuccess {
  readonly code: 'ok';
  readonly models: readonly ListedModel[];
  /** Short, human and ours, from fixed wording. */
  readonly message: string;
  readonly latencyMs: number;
}

/**
 * The listing failed. The codes are the probe's, read the same way from the provider's
 * answer (401 `invalid_api_key`, 403 `permission_denied`, 429 `rate_limited`, ...).
 */
export interface ModelListFailure {
  readonly code: Exclude<ProbeCode, 'ok'>;
  /** Short, human and ours, from fixed wording: never a provider body, never any part of the key. */
  readonly message: string;
  /** Measured duration of the calls, or null when no call was made. */
  readonly latencyMs: number | null;
}

export type ModelListOutcome = ModelListSuccess | ModelListFailure;

/** Lists the models a key can use, with the provider's own model list. It never sees the store. */
export interface ModelLister {
  /**
   * Lists every model the provider offers the key, all pages, within one deadline.
   * @returns the models, or the failure; provider and network failures are outcomes,
   *   not exceptions.
   * @throws ProbeBusyError when the adapter's limit of provider calls in flight is reached.
   */
  listModels(request: ModelListRequest): Promise<ModelListOutcome>;
}
