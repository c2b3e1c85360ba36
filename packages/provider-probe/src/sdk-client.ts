import { ConfigError, DEFAULT_PROVIDER_REGISTRY, Secret, type LlmProvider, type ProviderRegistry, type UsageRecorder } from '@llm-settings/core';
import { httpUrl, nonNegativeInteger, positiveNumber } from './option-checks.js';
import { DIALECT_SDKS, type SdkClientFor } from './sdk-calls.js';

export interface SdkClientOptions<P extends LlmProvider = LlmProvider> {
  /** The provider: `@anthropic-ai/sdk` for the Anthropic dialect, `openai` for the others. */
  provider: P;
  /**
   * The user's API key: the client's only credential, whatever the environment holds,
   * sent in the provider's own header. A {@link Secret} stays one until each request is
   * sent: the client object holds a placeholder, never the key. Empty for a keyless provider.
   */
  apiKey: string | Secret;
  /**
   * API root, operator configuration (a gateway, a proxy, a test server). Environment
   * variables such as ANTHROPIC_BASE_URL or OPENAI_BASE_URL are not read.
   * @default the registry's root of the provider: 'https://api.anthropic.com', 'https://api.openai.com/v1', ...
   */
  baseUrl?: string | undefined;
  /**
   * The providers `provider` may name (the enabled ones), with their descriptors (dialect,
   * key header) and roots.
   * @default DEFAULT_PROVIDER_REGISTRY: Anthropic and OpenAI
   */
  providers?: ProviderRegistry | undefined;
  /**
   * How long one attempt may take, in milliseconds, its answer's body included, streamed
   * or not: a body or event stream still unfinished then fails with a `TimeoutError`
   * (before the headers, the SDK's connection timeout error). Each retry has as long
   * again. A call's own `timeout` option bounds only the wait for the headers, within
   * this. Left unset, the SDKs' default of the same value applies, and with it the
   * Anthropic SDK's refusal of a non-streamed call whose `max_tokens` could take longer.
   * @default 600000 (10 minutes: an LLM call can be long)
   */
  timeoutMs?: number | undefined;
  /**
   * Retries of a failed attempt (connection error, 408, 409, 429, 5xx), by the SDK.
   * @default the SDK's own default, 2 for both SDKs
   */
  maxRetries?: number | undefined;
  /**
   * Counts the client's generating calls (messages, chat completions, responses,
   * embeddings; each attempt) for `scope`, as the pass-through does: status, model, and the
   * usage read from each answer as the SDK reads it. A stream is counted once it ends,
   * whatever ends it (its last event, a `break` out of the SDK's stream, an abort, a
   * dropped connection), with the usage read until then.
   * @default undefined (nothing counted)
   */
  usage?: { readonly record: UsageRecorder; readonly scope: string } | undefined;
}

/**
 * An official SDK client for one provider and one key, configured like the probe's:
 * the key, base URL and log level (`off`) are set explicitly, so that no environment
 * variable (ANTHROPIC_API_KEY, OPENAI_ORG_ID, ANTHROPIC_LOG, ...) is read for them;
 * the client holds a placeholder (`client.apiKey`), and its fetch puts the key in every
 * credential header at send time, even if ANTHROPIC_CUSTOM_HEADERS sets another; the
 * key's echoes are scrubbed from every answer, so that results and the errors thrown
 * hold no part of it; and redirects are not followed (a redirect would take the key to
 * another host): a redirect, or an answer fetch leaves encoded (in which no echo could be
 * found), reaches the SDK as one 502 it is told not to retry, so the call fails with one
 * APIError and the provider is called once. Nor does a request leave for another origin than the
 * base URL's (a `baseURL` changed with `withOptions`, an absolute URL given to
 * `client.get`): it fails unsent, the connection error's `cause` an OriginRefusedError.
 *
 * Async because each SDK is imported at its provider's first use, to keep start-up fast.
 * @throws ConfigError when an option is unusable; the message names the option only.
 */
export async function createSdkClient<P extends LlmProvider>(options: SdkClientOptions<P>): Promise<SdkClientFor<P>> {
  const { provider } = options;
  const providers = options.providers ?? DEFAULT_PROVIDER_REGISTRY;
  if (typeof provider !== 'string' || !providers.isEnabled(provider)) {
    throw new ConfigError(`provider must be one of: ${providers.enabledIds.join(', ')}`);
  }
  const descriptor = providers.get(provider);
  const apiKey = typeof options.apiKey === 'string' ? new Secret(options.apiKey) : options.apiKey;
  // By shape, not instanceof: a Secret from another copy of core is one too.
  if (typeof apiKey?.reveal !== 'function' || typeof apiKey.reveal() !== 'string' || (apiKey.reveal() === '' && descriptor.keyRequired)) {
    throw new ConfigError('apiKey must be a non-empty string or Secret');
  }
  const settings = {
    descriptor,
    apiKey,
    baseUrl: httpUrl(options.baseUrl, providers.baseUrl(provider), 'baseUrl'),
    timeoutMs: positiveNumber(options.timeoutMs, undefined, 'timeoutMs'),
    maxRetries: nonNegativeInteger(options.maxRetries, undefined, 'maxRetries'),
    usage: options.usage === undefined ? undefined : { ...options.usage, provider: descriptor.id, dialect: descriptor.dialect },
  };
  const sdk = await DIALECT_SDKS[descriptor.dialect]();
  // createClient tags the client with the dialect it was loaded for: the provider's.
  return sdk.createClient(settings) as SdkClientFor<P>;
}
