import { looksLikeApiKey, REDACTED, type ListedModel, type Logger, type ModelListOutcome, type ModelListRequest, type ModelLister } from '@llm-settings/core';
import { readCallOptions, type ProviderCallOptions } from './call-options.js';
import { CANCELLED, MODEL_LISTING, wordFailure, type ActionFailure, type WordedProvider } from './failure-wording.js';
import { describeFailure, logFailure } from './failures.js';
import { checkRequest, runGuarded } from './guarded-call.js';
import { positiveInteger } from './option-checks.js';
import type { ProviderSdk } from './sdk-calls.js';
import { SharedCalls } from './shared-calls.js';

export const DEFAULT_MODEL_PAGE_SIZE = 100;
/** A provider (or gateway) that pages on and on is not followed past this many models. */
export const MAX_LISTED_MODELS = 2000;

const MODEL_ID = /^[\x21-\x7e]{1,256}$/;
/** Display names are shown to people: no control or format characters (bidi overrides), no line separators. */
const DISPLAY_NAME = /^[^\p{Cc}\p{Cf}\u2028\u2029]{1,256}$/u;

export interface ModelListerOptions extends ProviderCallOptions {
  /**
   * Models asked for per page where the provider pages its list (Anthropic: 1 to 1000).
   * @default 100
   */
  pageSize?: number;
}

/**
 * A ModelLister on the official SDKs' `models.list`, every page through their
 * auto-pagination, within one deadline, with the probe's security posture: no retries,
 * the key pinned in the credential headers, no redirects, nothing read from the
 * environment, and outcomes in fixed wording. Listed ids or names that carry the key,
 * or look like a key, or are not printable are left out.
 * @throws ConfigError when an option is unusable; the message names the option only.
 */
export function createModelLister(options: ModelListerOptions = {}): ModelLister {
  const { defaultTimeoutMs, maxInFlight, providers, logger } = readCallOptions(options);
  const pageSize = positiveInteger(options.pageSize, DEFAULT_MODEL_PAGE_SIZE, 'pageSize');
  const calls = new SharedCalls<ModelListOutcome>(maxInFlight);

  return {
    async listModels(request: ModelListRequest): Promise<ModelListOutcome> {
      const checked = checkRequest(request, defaultTimeoutMs, providers);
      const { provider: descriptor, baseUrl } = checked;
      const provider = descriptor.id;
      const { apiKey } = request;
      const { outcome } = await runGuarded<ModelListOutcome>({
        ...checked,
        identity: [request.partition ?? '', apiKey],
        signal: request.signal,
        calls,
        start: (sdk, signal) => listAll(sdk, { descriptor, apiKey, baseUrl, signal, pageSize, maxModels: MAX_LISTED_MODELS }, logger),
        stopped: (failure, latencyMs) => failed(descriptor, failure, latencyMs),
      });
      logger.debug(
        {
          provider,
          code: outcome.code,
          models: outcome.code === 'ok' ? outcome.models.length : null,
          latency_ms: outcome.latencyMs === null ? null : Math.round(outcome.latencyMs),
        },
        'model listing finished',
      );
      return outcome;
    },
  };
}

/** One listing with the provider's SDK. Never rejects: every failure becomes an outcome. */
async function listAll(sdk: ProviderSdk, listing: Parameters<ProviderSdk['listModels']>[0], logger: Logger): Promise<ModelListOutcome> {
  const started = performance.now();
  try {
    const listed = await sdk.listModels(listing);
    const models = presentable(listed, listing.apiKey);
    return { code: 'ok', models, message: `${listing.descriptor.displayName} listed ${models.length} models for the API key.`, latencyMs: performance.now() - started };
  } catch (error) {
    const latencyMs = performance.now() - started;
    if (listing.signal.aborted) return failed(listing.descriptor, CANCELLED, latencyMs);
    const failure = describeFailure(error, sdk.errors);
    logFailure(logger, listing.descriptor.id, 'model listing', failure, error);
    return failed(listing.descriptor, failure, latencyMs);
  }
}

/**
 * The listed models a person may be shown: ids the settings would accept (printable,
 * not key-shaped), each once, and names without control characters; nothing that
 * holds the key, whatever the provider (or a gateway in its place) sends back, nor
 * where the SDK's fetch scrubbed an echo of it.
 */
function holdsKey(text: string, apiKey: string): boolean {
  // A keyless provider's key is empty, which every text "includes".
  return (apiKey !== '' && text.includes(apiKey)) || text.includes(REDACTED) || looksLikeApiKey(text);
}

function presentable(listed: readonly ListedModel[], apiKey: string): ListedModel[] {
  const seen = new Set<string>();
  const models: ListedModel[] = [];
  for (const { id, displayName } of listed) {
    if (typeof id !== 'string' || !MODEL_ID.test(id) || holdsKey(id, apiKey) || seen.has(id)) continue;
    seen.add(id);
    const nameUsable = typeof displayName === 'string' && DISPLAY_NAME.test(displayName) && !holdsKey(displayName, apiKey);
    models.push({ id, displayName: nameUsable ? displayName : null });
  }
  return models;
}

/** A listing that failed, worded as the probe's failures are, for a list. */
function failed(provider: WordedProvider, failure: ActionFailure, latencyMs: number | null): ModelListOutcome {
  return { ...wordFailure(MODEL_LISTING, provider, failure), latencyMs };
}
