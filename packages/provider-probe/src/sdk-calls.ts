import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { Secret, type ListedModel, type LlmProvider } from '@llm-settings/core';
import type { SdkErrorClasses } from './failures.js';
import { API_KEY_PLACEHOLDER, guardedFetch } from './guarded-fetch.js';

/** The providers' public API roots, used when the operator configures none. */
export const DEFAULT_BASE_URLS: Readonly<Record<LlmProvider, string>> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
};

/** An official SDK client, tagged with its provider so that a `switch` narrows it. */
export type SdkClient =
  | { readonly provider: 'anthropic'; readonly client: Anthropic }
  | { readonly provider: 'openai'; readonly client: OpenAI };

/** The client type of one provider, or the union for a provider not known statically. */
export type SdkClientFor<P extends LlmProvider> = Extract<SdkClient, { readonly provider: P }>;

/** Everything one client is built from. Nothing else, and nothing from the environment. */
export interface ClientSettings {
  /** Revealed by the client's fetch at send time only: the client object never holds it. */
  readonly apiKey: Secret;
  readonly baseUrl: string;
  /** Per attempt, until the answer's headers; undefined leaves the SDK's default. */
  readonly timeoutMs?: number | undefined;
  /** Undefined leaves the SDK's default. */
  readonly maxRetries?: number | undefined;
}

/** Everything one model lookup needs. Nothing here comes from the environment. */
export interface ModelLookup {
  readonly apiKey: string;
  readonly model: string;
  readonly baseUrl: string;
  /** Aborts the HTTP request. */
  readonly signal: AbortSignal;
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

/** Everything one model listing needs. Nothing here comes from the environment. */
export interface ModelListing {
  readonly apiKey: string;
  readonly baseUrl: string;
  /** Aborts the HTTP request of the page being fetched, and with it the listing. */
  readonly signal: AbortSignal;
  /** Models asked for per page, where the provider pages its list. */
  readonly pageSize: number;
  /** The listing stops after this many models. */
  readonly maxModels: number;
}

/**
 * Lists the key's models with the SDK's auto-pagination: every page, one request each,
 * no retries. Rejects with the SDK's error.
 */
export type ListModels = (listing: ModelListing) => Promise<ListedModel[]>;

/** What the probe and the client factory use of one provider's SDK. */
export interface ProviderSdk {
  readonly createClient: (settings: ClientSettings) => SdkClient;
  readonly retrieveModel: RetrieveModel;
  readonly listModels: ListModels;
  /** The SDK's error classes, to tell its failures apart. */
  readonly errors: SdkErrorClasses;
}

/*
 * Every client, the probe's included, is built by createClient below. Every option
 * that the SDKs would otherwise read from process.env is passed explicitly: the key
 * (a placeholder, see below), the base URL, the webhook secret, OpenAI's organization
 * and project, and the log level (`off`, so that ANTHROPIC_LOG / OPENAI_LOG=debug cannot
 * make the SDK print a provider body). The fetch is guardedFetch: it puts the key in the
 * credential headers at send time in place of the placeholder the SDK holds (and of any
 * other, ANTHROPIC_CUSTOM_HEADERS could add one), follows no redirect (it would take the
 * key to another host) and scrubs the key's echoes from answers.
 */

async function loadAnthropicSdk(): Promise<ProviderSdk> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const newClient = ({ apiKey, baseUrl, timeoutMs, maxRetries }: ClientSettings) =>
    new Anthropic({
      apiKey: API_KEY_PLACEHOLDER,
      authToken: null,
      baseURL: baseUrl,
      webhookKey: null,
      timeout: timeoutMs,
      maxRetries,
      fetch: guardedFetch(apiKey),
      logLevel: 'off',
    });
  return {
    createClient: (settings) => ({ provider: 'anthropic', client: newClient(settings) }),
    retrieveModel: async ({ apiKey, model, baseUrl, signal }) => {
      // No retries: a probe is one call.
      const client = newClient({ apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 });
      const { request_id } = await client.models.retrieve(model, {}, { signal }).withResponse();
      return { requestId: request_id ?? null };
    },
    listModels: async ({ apiKey, baseUrl, signal, pageSize, maxModels }) => {
      const client = newClient({ apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 });
      const models: ListedModel[] = [];
      // Each next page is asked for with after_id and the same options, the signal included.
      for await (const model of client.models.list({ limit: pageSize }, { signal })) {
        models.push({ id: model.id, displayName: model.display_name });
        if (models.length >= maxModels) break;
      }
      return models;
    },
    errors: Anthropic,
  };
}

async function loadOpenAiSdk(): Promise<ProviderSdk> {
  const { default: OpenAI } = await import('openai');
  const newClient = ({ apiKey, baseUrl, timeoutMs, maxRetries }: ClientSettings) =>
    new OpenAI({
      apiKey: API_KEY_PLACEHOLDER,
      baseURL: baseUrl,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: timeoutMs,
      maxRetries,
      fetch: guardedFetch(apiKey),
      logLevel: 'off',
    });
  return {
    createClient: (settings) => ({ provider: 'openai', client: newClient(settings) }),
    retrieveModel: async ({ apiKey, model, baseUrl, signal }) => {
      // No retries: a probe is one call.
      const client = newClient({ apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 });
      const { request_id } = await client.models.retrieve(model, { signal }).withResponse();
      return { requestId: request_id ?? null };
    },
    listModels: async ({ apiKey, baseUrl, signal, maxModels }) => {
      const client = newClient({ apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 });
      const models: ListedModel[] = [];
      // OpenAI answers its whole list at once; the SDK's iterator would follow a next page all the same.
      for await (const model of client.models.list({ signal })) {
        models.push({ id: model.id, displayName: null });
        if (models.length >= maxModels) break;
      }
      return models;
    },
    errors: OpenAI,
  };
}

/** Imports an SDK at the first call and hands the same one to every later call. */
function loadedOnce(load: () => Promise<ProviderSdk>): () => Promise<ProviderSdk> {
  let loading: Promise<ProviderSdk> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined; // a failed import may be retried by the next call
      throw error;
    });
    return loading;
  };
}

/**
 * One SDK loader per provider: adding a provider adds one entry here. The SDKs are
 * large and a service may never use one, so each is imported at its provider's first
 * probe or client instead of at start.
 */
export const PROVIDER_SDKS: Readonly<Record<LlmProvider, () => Promise<ProviderSdk>>> = {
  anthropic: loadedOnce(loadAnthropicSdk),
  openai: loadedOnce(loadOpenAiSdk),
};
