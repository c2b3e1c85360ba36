import type { Logger, ProbeOutcome, ProbeRequest, ProviderProbe } from '@llm-settings/core';
import { readCallOptions, type ProviderCallOptions } from './call-options.js';
import { CANCELLED } from './failure-wording.js';
import { describeFailure, logFailure } from './failures.js';
import { checkRequest, runGuarded } from './guarded-call.js';
import { failureOutcome, okOutcome, unusableModelOutcome, type ProbeSubject } from './outcomes.js';
import { scrubOutcome } from './scrub-key.js';
import type { ModelLookup, ProviderSdk } from './sdk-calls.js';
import { SharedCalls } from './shared-calls.js';

/** A probe's options: those of every provider call. */
export type ProviderProbeOptions = ProviderCallOptions;

/**
 * A ProviderProbe on the official Anthropic and OpenAI SDKs (the latter for every
 * OpenAI-dialect provider): one call that spends no tokens, as the provider's descriptor
 * says (`client.models.retrieve(model)`, which checks both the key and the model, or the
 * model list, or a key-info route). Provider and network failures are outcomes, never
 * exceptions.
 * @throws ConfigError when an option is unusable; the message names the option only.
 */
export function createProviderProbe(options: ProviderProbeOptions = {}): ProviderProbe {
  const { defaultTimeoutMs, maxInFlight, providers, logger } = readCallOptions(options);
  const calls = new SharedCalls<ProbeOutcome>(maxInFlight);

  return {
    async probe(request: ProbeRequest): Promise<ProbeOutcome> {
      const checked = checkRequest(request, defaultTimeoutMs, providers);
      const { apiKey, model } = request;
      const { id, displayName, probeStatusCodes, keyTest } = checked.provider;
      const subject: ProbeSubject = { provider: id, displayName, probeStatusCodes, keyTest, model };
      const { outcome, shared } = isSendableModelId(model)
        ? await runGuarded({
            ...checked,
            // Shared within the caller's partition only: joining another tenant's call would time it.
            identity: [request.partition ?? '', apiKey, model],
            signal: request.signal,
            calls,
            start: (sdk, signal) => lookUpModel(subject, sdk, { descriptor: checked.provider, apiKey, model, baseUrl: checked.baseUrl, signal }, logger),
            stopped: (failure, latencyMs) => failureOutcome(subject, failure, latencyMs),
          })
        : { outcome: request.signal?.aborted ? failureOutcome(subject, CANCELLED, null) : unusableModelOutcome(subject), shared: false };

      const result = scrubOutcome(outcome, apiKey);
      logger.debug(
        {
          // Not the model: client text, and scrubbing it of the key would make it an oracle.
          provider: checked.provider.id,
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
async function lookUpModel(subject: ProbeSubject, sdk: ProviderSdk, lookup: ModelLookup, logger: Logger): Promise<ProbeOutcome> {
  const { signal } = lookup;
  const started = performance.now();
  try {
    const { requestId } = await sdk.retrieveModel(lookup);
    return okOutcome(subject, performance.now() - started, requestId);
  } catch (error) {
    const latencyMs = performance.now() - started;
    // Aborted because every caller gave up: nobody reads this outcome.
    if (signal.aborted) return failureOutcome(subject, CANCELLED, latencyMs);
    const failure = describeFailure(error, sdk.errors);
    logFailure(logger, subject.provider, 'provider probe', failure, error);
    return failureOutcome(subject, failure, latencyMs);
  }
}

/**
 * The SDKs refuse to put an empty, "." or ".." path segment (or one starting with
 * ";", or "." / ".." followed by ";…") in a URL, and throw before sending anything.
 */
function isSendableModelId(model: string): boolean {
  return !/^(?:\.{1,2}(?:;.*)?|;.*)?$/s.test(model);
}
