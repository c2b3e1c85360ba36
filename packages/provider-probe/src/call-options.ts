import { DEFAULT_PROBE_TIMEOUT_MS, silentLogger, type Logger, type ProviderRegistry } from '@llm-settings/core';
import { registryWith } from './guarded-call.js';
import { positiveInteger, positiveNumber } from './option-checks.js';

export const DEFAULT_MAX_IN_FLIGHT = 4;

/** The options of every provider call this package makes: key tests and model listings alike. */
export interface ProviderCallOptions {
  /**
   * Upper bound of one call (a key test, or a listing with every page), in milliseconds,
   * for requests that give no `timeoutMs`. It covers the whole call: connecting, the
   * answers' headers and their bodies.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Most calls of one kind in flight at once in this process; a request that would start
   * one more throws ProbeBusyError. Identical requests share one call, which counts once.
   * @default 4
   */
  maxInFlight?: number;
  /**
   * The providers a request may name (its enabled ones), with their API roots: operator
   * configuration. A request can never choose a root.
   * @default DEFAULT_PROVIDER_REGISTRY (Anthropic and OpenAI at their public roots)
   */
  providers?: ProviderRegistry;
  /**
   * API roots by provider id over the registry's, operator configuration (a gateway, a
   * proxy, a test server). Environment variables such as ANTHROPIC_BASE_URL are not read.
   * @default the registry's roots
   */
  baseUrls?: Readonly<Record<string, string | undefined>>;
  /**
   * Receives one debug line per call: provider, code, latency (and a key test's request
   * id, a listing's model count). Never the key, the model, nor any provider text.
   * @default silentLogger
   */
  logger?: Logger;
}

/** The options read, with their defaults. */
export interface CallSettings {
  readonly defaultTimeoutMs: number;
  readonly maxInFlight: number;
  readonly providers: ProviderRegistry;
  readonly logger: Logger;
}

/** @throws ConfigError when an option is unusable; the message names the option only. */
export function readCallOptions(options: ProviderCallOptions): CallSettings {
  return {
    defaultTimeoutMs: positiveNumber(options.timeoutMs, DEFAULT_PROBE_TIMEOUT_MS, 'timeoutMs'),
    maxInFlight: positiveInteger(options.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 'maxInFlight'),
    providers: registryWith(options.providers, options.baseUrls),
    logger: options.logger ?? silentLogger,
  };
}
