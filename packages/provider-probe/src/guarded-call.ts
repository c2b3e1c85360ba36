import { createHash } from 'node:crypto';
import { ProviderRegistry, ValidationError, type ProviderDescriptor } from '@llm-settings/core';
import { MAX_TIMER_MS, waitWithin } from './deadline.js';
import { CANCELLED, type ActionFailure } from './failure-wording.js';
import { httpUrl } from './option-checks.js';
import { DIALECT_SDKS, type ProviderSdk } from './sdk-calls.js';
import type { SharedCalls } from './shared-calls.js';

/**
 * The guard every provider call of this package goes through (probes and model lists):
 * a known provider, a deadline, the caller's signal, a limit of calls in flight, and one
 * call shared by identical requests. What is called, and the outcomes, are the caller's.
 */
export interface GuardedCall<T> extends CheckedRequest {
  /** Identifies identical requests, which share one call; hashed, since it holds the key. */
  identity: readonly string[];
  signal: AbortSignal | undefined;
  calls: SharedCalls<T>;
  /** Makes the call with the provider's SDK; never rejects (failures are outcomes). */
  start(sdk: ProviderSdk, signal: AbortSignal): Promise<T>;
  /**
   * The outcome when the deadline passed first, or the caller's signal aborted first;
   * latencyMs is null when no call was made.
   */
  stopped(failure: GuardFailure, latencyMs: number | null): T;
}

/** The failures the guard itself ends a call with. */
export type GuardFailure = Extract<ActionFailure, { kind: 'deadline' | 'cancelled' }>;

/** A request's provider (its descriptor and API root) and deadline, checked. */
export interface CheckedRequest {
  provider: ProviderDescriptor;
  baseUrl: string;
  timeoutMs: number;
}

/**
 * Checks what a request names: a provider the registry enables, and its own deadline if
 * it gives one (capped to what a timer can wait), else `defaultTimeoutMs`.
 * @throws ValidationError naming the field.
 */
export function checkRequest(
  request: { provider: string; timeoutMs?: number | undefined },
  defaultTimeoutMs: number,
  providers: ProviderRegistry,
): CheckedRequest {
  if (typeof request.provider !== 'string' || !providers.isEnabled(request.provider)) {
    const message = `provider must be one of: ${providers.enabledIds.join(', ')}`;
    throw new ValidationError(message, [{ path: 'provider', message }]);
  }
  const provider = providers.get(request.provider);
  const baseUrl = providers.baseUrl(provider.id);
  if (request.timeoutMs === undefined) return { provider, baseUrl, timeoutMs: defaultTimeoutMs };
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) {
    const message = 'timeoutMs must be a positive number of milliseconds';
    throw new ValidationError(message, [{ path: 'timeoutMs', message }]);
  }
  return { provider, baseUrl, timeoutMs: Math.min(request.timeoutMs, MAX_TIMER_MS) };
}

/**
 * Runs a guarded call. @returns its outcome, and whether it joined an identical call.
 * @throws ProbeBusyError when the limit of calls in flight is reached.
 */
export async function runGuarded<T>(call: GuardedCall<T>): Promise<{ outcome: T; shared: boolean }> {
  const { provider, timeoutMs } = call;
  // Loading the SDK (at a provider's first call only) is not part of the call: neither
  // the deadline nor the latency counts it. The signal is read after it.
  const sdk = await DIALECT_SDKS[provider.dialect]();
  if (call.signal?.aborted) return { outcome: call.stopped(CANCELLED, null), shared: false };
  const started = performance.now();
  const ticket = call.calls.join(callId(provider.id, call.identity), (signal) => call.start(sdk, signal));
  try {
    const waited = await waitWithin(ticket.promise, timeoutMs, call.signal);
    const latencyMs = performance.now() - started;
    const outcome = waited.settled
      ? waited.value
      : call.stopped(waited.reason === 'timeout' ? { kind: 'deadline', timeoutMs } : CANCELLED, latencyMs);
    return { outcome, shared: ticket.shared };
  } finally {
    ticket.leave();
  }
}

/**
 * The registry calls go by: `providers`, with the API roots of `baseUrls` (checked) over
 * its own. `baseUrls` is the older way to give Anthropic's and OpenAI's roots.
 * @throws ConfigError naming the option, never its value.
 */
export function registryWith(providers: ProviderRegistry | undefined, baseUrls: Readonly<Record<string, string | undefined>> | undefined): ProviderRegistry {
  const registry = providers ?? new ProviderRegistry();
  const given = Object.entries(baseUrls ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (given.length === 0) return registry;
  return registry.withBaseUrls(Object.fromEntries(given.map(([id, url]) => [id, httpUrl(url, '', `baseUrls.${id}`)])));
}

/** The map of calls in flight is keyed by a hash, so that it never holds a key. */
function callId(provider: string, identity: readonly string[]): string {
  const hash = createHash('sha256').update(provider);
  for (const part of identity) hash.update('\0').update(part);
  return hash.digest('hex');
}
