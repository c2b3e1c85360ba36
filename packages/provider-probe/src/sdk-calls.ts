import type { LlmProvider } from '@llm-settings/core';
import type { SdkErrorClasses } from './failures.js';

/** The providers' public API roots, used when the operator configures none. */
export const DEFAULT_BASE_URLS: Readonly<Record<LlmProvider, string>> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
};

/** Everything one model lookup needs. Nothing here comes from the environment. */
export interface ModelLookup {
  readonly apiKey: string;
  readonly model: string;
  readonly baseUrl: string;
  /** Aborts the HTTP request. */
  readonly signal: AbortSignal;
  readonly fetch: typeof globalThis.fetch;
}

export interface ModelLookupResult {
  /** The provider's request id header, when it sent one. */
  readonly requestId: string | null;
}

/**
 * Retrieves one model with the provider's official SDK: a GET that spends no tokens
 * and needs both a valid key and an existing model. Rejects with the SDK's error.
 */
export type RetrieveModel = (lookup: ModelLookup) => Promise<ModelLookupResult>;

/** What the probe uses of one provider's SDK. */
export interface ProviderSdk {
  readonly retrieveModel: RetrieveModel;
  /** The SDK's error classes, to tell its failures apart. */
  readonly errors: SdkErrorClasses;
}

/*
 * Every option that the SDKs would otherwise read from process.env is passed
 * explicitly: the key, the base URL, the webhook secret, OpenAI's organization and
 * project, and the log level (`off`, so that ANTHROPIC_LOG / OPENAI_LOG=debug cannot
 * make the SDK print a provider body that quotes part of the key). Retries are off:
 * a probe is one call.
 */

async function loadAnthropicSdk(): Promise<ProviderSdk> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const retrieveModel: RetrieveModel = async ({ apiKey, model, baseUrl, signal, fetch }) => {
    const client = new Anthropic({
      apiKey,
      authToken: null,
      baseURL: baseUrl,
      webhookKey: null,
      maxRetries: 0,
      fetch,
      logLevel: 'off',
    });
    const { request_id } = await client.models.retrieve(model, {}, { signal }).withResponse();
    return { requestId: request_id ?? null };
  };
  return { retrieveModel, errors: Anthropic };
}

async function loadOpenAiSdk(): Promise<ProviderSdk> {
  const { default: OpenAI } = await import('openai');
  const retrieveModel: RetrieveModel = async ({ apiKey, model, baseUrl, signal, fetch }) => {
    const client = new OpenAI({
      apiKey,
      baseURL: baseUrl,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      fetch,
      logLevel: 'off',
    });
    const { request_id } = await client.models.retrieve(model, { signal }).withResponse();
    return { requestId: request_id ?? null };
  };
  return { retrieveModel, errors: OpenAI };
}

/** Imports an SDK at the first call and hands the same one to every later call. */
function loadedOnce(load: () => Promise<ProviderSdk>): () => Promise<ProviderSdk> {
  let loading: Promise<ProviderSdk> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined; // a failed import may be retried by the next probe
      throw error;
    });
    return loading;
  };
}

/**
 * One SDK loader per provider: adding a provider adds one entry here. The SDKs are
 * large and a service may never test a key, so each is imported at its provider's
 * first probe instead of at start.
 */
export const PROVIDER_SDKS: Readonly<Record<LlmProvider, () => Promise<ProviderSdk>>> = {
  anthropic: loadedOnce(loadAnthropicSdk),
  openai: loadedOnce(loadOpenAiSdk),
};
