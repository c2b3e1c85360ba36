import { createHash } from 'node:crypto';
import {
  DEFAULT_PROBE_TIMEOUT_MS,
  ENABLED_PROVIDER_IDS,
  ValidationError,
  silentLogger,
  type LlmProvider,
  type Logger,
  type ProbeOutcome,
  type ProbeRequest,
  type ProviderProbe,
} from '@llm-settings/core';
import { MAX_TIMER_MS, waitWithin } from './deadline.js';
import { describeFailure } from './failures.js';
import { httpUrl, positiveInteger, positiveNumber } from './option-checks.js';
import {
  cancelledOutcome,
  failureOutcome,
  okOutcome,
  timeoutOutcome,
  unusableModelOutcome,
  type ProbeSubject,
} from './outcomes.js';
import { scrubOutcome } from './scrub-key.js';
import { DEFAULT_BASE_URLS, PROVIDER_SDKS, type ProviderSdk } from './sdk-calls.js';
import { SharedCalls } from './shared-calls.js';

export const DEFAULT_MAX_IN_FLIGHT = 4;

export interface ProviderProbeOptions {
  /**
   * Upper bound of one probe, in milliseconds, for requests that give no `timeoutMs`.
   * It covers the whole call: connecting, the answer's headers and its body.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Most provider calls in flight at once in this process; a probe that would start
   * one more throws ProbeBusyError. Identical probes sharing one call count once.
   * @default 4
   */
  maxInFlight?: number;
  /**
   * API roots, operator configuration (a gateway, a proxy, a test server). A request
   * can never choose one. Environment variables such as ANTHROPIC_BASE_URL are not read.
   * @default { anthropic: 'https://api.anthropic.com', openai: 'https://api.openai.com/v1' }
   */
  baseUrls?: { anthropic?: string | undefined; openai?: string | undefined };
  /**
   * Receives one debug line per probe: provider, model, code, latency, request id.
   * Never the key, nor any provider text.
   * @default silentLogger
   */
  logger?: Logger;
}

/**
 * A ProviderProbe on the official Anthropic and OpenAI SDKs: one
 * `client.models.retrieve(model)` call, which spends no tokens and checks both the
 * key and the model. Provider and network failures are outcomes, never exceptions.
 * @throws ConfigError when an option is unusable; the message names the option only.
 */
export function createProviderProbe(options: ProviderProbeOptions = {}): ProviderProbe {
  const defaultTimeoutMs = positiveNumber(options.timeoutMs, DEFAULT_PROBE_TIMEOUT_MS, 'timeoutMs');
  const maxInFlight = positiveInteger(options.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 'maxInFlight');
  const baseUrls = resolveBaseUrls(options.baseUrls ?? {});
  const logger = options.logger ?? silentLogger;
  const calls = new SharedCalls<ProbeOutcome>(maxInFlight);

  return {
    async probe(request: ProbeRequest): Promise<ProbeOutcome> {
      const timeoutMs = requestTimeout(request.timeoutMs, defaultTimeoutMs);
      const { provider, apiKey, model } = request;
      if (!Object.hasOwn(PROVIDER_SDKS, provider)) {
        const message = `provider must be one of: ${Object.keys(PROVIDER_SDKS).join(', ')}`;
        throw new ValidationError(message, [{ path: 'provider', message }]);
      }
      const subject: ProbeSubject = { provider, model };
      let shared = false;
      let outcome: ProbeOutcome;
      // Loading the SDK (at the first probe of a provider only) is not part of the call:
      // neither the timeout nor the latency counts it. The signal is read after it.
      const sdk = isSendableModelId(model) ? await PROVIDER_SDKS[provider]() : undefined;

      if (request.signal?.aborted) {
        outcome = cancelledOutcome(subject, null);
      } else if (sdk === undefined) {
        outcome = unusableModelOutcome(subject);
      } else {
        const started = performance.now();
        const ticket = calls.join(probeId(provider, apiKey, model), (signal) =>
          lookUpModel(subject, sdk, apiKey, baseUrls[provider], signal, logger),
        );
        shared = ticket.shared;
        try {
          const waited = await waitWithin(ticket.promise, timeoutMs, request.signal);
          const latencyMs = performance.now() - started;
          outcome = waited.settled
            ? waited.value
            : waited.reason === 'timeout'
              ? timeoutOutcome(subject, timeoutMs, latencyMs)
              : cancelledOutcome(subject, latencyMs);
        } finally {
          ticket.leave();
        }
      }

      const result = scrubOutcome(outcome, apiKey);
      logger.debug(
        {
          // Not the model: client text, and scrubbing it of the key would make it an oracle.
          provider,
          code: result.code,
          latency_ms: result.latencyMs === null ? null : Math.round(result.latencyMs),
          request_id: result.requestId ?? null,
          shared,
        },
        'provider probe finished',
      );
      return result;
    },
  };
}

/** One lookup with the provider's SDK. Never rejects: every failure becomes an outcome. */
async function lookUpModel(
  subject: ProbeSubject,
  sdk: ProviderSdk,
  apiKey: string,
  baseUrl: string,
  signal: AbortSignal,
  logger: Logger,
): Promise<ProbeOutcome> {
  const started = performance.now();
  try {
    const { requestId } = await sdk.retrieveModel({
      apiKey,
      model: subject.model,
      baseUrl,
      signal,
    });
    return okOutcome(subject, performance.now() - started, requestId);
  } catch (error) {
    const latencyMs = performance.now() - started;
    // Aborted because every caller gave up: nobody reads this outcome.
    if (signal.aborted) return cancelledOutcome(subject, latencyMs);
    const failure = describeFailure(error, sdk.errors);
    if (failure.kind === 'unexpected') {
      // The class name only: an error message may quote the provider, and the provider the key.
      logger.warn({ provider: subject.provider, error: errorClassName(error) }, 'provider probe failed unexpectedly');
    }
    return failureOutcome(subject, failure, latencyMs);
  }
}

function errorClassName(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}

/**
 * Identical probes share one call. The key is hashed so that the map of calls in
 * flight never holds it.
 */
function probeId(provider: LlmProvider, apiKey: string, model: string): string {
  return createHash('sha256').update(provider).update('\0').update(apiKey).update('\0').update(model).digest('hex');
}

/**
 * The SDKs refuse to put an empty, "." or ".." path segment (or one starting with
 * ";", or "." / ".." followed by ";…") in a URL, and throw before sending anything.
 */
function isSendableModelId(model: string): boolean {
  return !/^(?:\.{1,2}(?:;.*)?|;.*)?$/s.test(model);
}

function requestTimeout(timeoutMs: number | undefined, fallback: number): number {
  if (timeoutMs === undefined) return fallback;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ValidationError('timeoutMs must be a positive number of milliseconds', [
      { path: 'timeoutMs', message: 'timeoutMs must be a positive number of milliseconds' },
    ]);
  }
  return Math.min(timeoutMs, MAX_TIMER_MS);
}

function resolveBaseUrls(given: NonNullable<ProviderProbeOptions['baseUrls']>): Record<LlmProvider, string> {
  const resolved = { ...DEFAULT_BASE_URLS };
  for (const provider of ENABLED_PROVIDER_IDS) {
    resolved[provider] = httpUrl(given[provider], resolved[provider], `baseUrls.${provider}`);
  }
  return resolved;
}
