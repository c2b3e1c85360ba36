import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { DEFAULT_PROVIDER_REGISTRY, Secret, type ListedModel, type LlmProvider, type ProviderDescriptor, type ProviderDialect } from '@llm-settings/core';
import type { SdkErrorClasses } from './failures.js';
import { API_KEY_PLACEHOLDER, guardedFetch, type FetchUsage } from './guarded-fetch.js';

/** Anthropic's and OpenAI's public API roots, used when the operator configures none: their descriptors'. */
export const DEFAULT_BASE_URLS = {
  anthropic: DEFAULT_PROVIDER_REGISTRY.baseUrl('anthropic'),
  openai: DEFAULT_PROVIDER_REGISTRY.baseUrl('openai'),
} as const;

/** An Anthropic-dialect client: `@anthropic-ai/sdk`. */
export interface AnthropicSdkClient {
  readonly provider: LlmProvider;
  readonly dialect: 'anthropic';
  readonly client: Anthropic;
}

/** An OpenAI-dialect client (OpenAI and every OpenAI-compatible provider): `openai`. */
export interface OpenAiSdkClient {
  readonly provider: LlmProvider;
  readonly dialect: 'openai';
  readonly client: OpenAI;
}

/** An official SDK client, tagged with its provider and its dialect, on which a `switch` narrows it. */
export type SdkClient = AnthropicSdkClient | OpenAiSdkClient;

/**
 * The client type of one provider: Anthropic's for `anthropic`, OpenAI's for any other
 * id written in the code, the union for a provider known only at run time.
 */
export type SdkClientFor<P extends LlmProvider> = string extends P ? SdkClient : P extends 'anthropic' ? AnthropicSdkClient : OpenAiSdkClient;

/** Everything one client is built from. Nothing else, and nothing from the environment. */
export interface ClientSettings {
  /** The provider: its id, key header and fixed headers. */
  readonly descriptor: ProviderDescriptor;
  /** Revealed by the client's fetch at send time only: the client object never holds it. Empty for a keyless provider. */
  readonly apiKey: Secret;
  readonly baseUrl: string;
  /** Per attempt, its answer's body included (guardedFetch's deadline; the SDK's timeout bounds the headers); undefined: the SDKs' default, 10 minutes. */
  readonly timeoutMs?: number | undefined;
  /** Undefined leaves the SDK's default. */
  readonly maxRetries?: number | undefined;
  /** Where the client's calls are counted; undefined counts nothing. */
  readonly usage?: FetchUsage | undefined;
}

/** Everything one model lookup needs. Nothing here comes from the environment. */
export interface ModelLookup {
  /** The provider, whose `keyTest` says what the lookup calls. */
  readonly descriptor: ProviderDescriptor;
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
 * Tests a key with the provider's official SDK and one GET that spends no tokens, as the
 * provider's `keyTest` says: the model (needs both a valid key and an existing model),
 * the model list, or a key-info route. Rejects with the SDK's error.
 */
export type RetrieveModel = (lookup: ModelLookup) => Promise<ModelLookupResult>;

/** Everything one model listing needs. Nothing here comes from the environment. */
export interface ModelListing {
  readonly descriptor: ProviderDescriptor;
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
 * other, ANTHROPIC_CUSTOM_HEADERS could add one), sends nothing to another origin than the
 * base URL's, follows no redirect (it would take the key to another host) and scrubs the
 * key's echoes from answers.
 */

/**
 * How an answer guardedFetch refuses (a redirect, an encoding fetch leaves) reaches the
 * SDK: a client's SDK is answered one 502 it does not retry; the probe's and the lister's,
 * which make no retry, get the thrown refusal, whose class says why.
 */
type Refusals = 'answered' | 'thrown';

async function loadAnthropicSdk(): Promise<ProviderSdk> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const newClient = ({ apiKey, baseUrl, timeoutMs, maxRetries, usage }: ClientSettings, refusals: Refusals) =>
    new Anthropic({
      apiKey: API_KEY_PLACEHOLDER,
      authToken: null,
      baseURL: baseUrl,
      webhookKey: null,
      timeout: timeoutMs,
      maxRetries,
      fetch: guardedFetch(apiKey, 'x-api-key', baseUrl, usage ?? null, timeoutMs, refusals === 'answered' ? 'anthropic' : null),
      logLevel: 'off',
    });
  return {
    createClient: (settings) => ({ provider: settings.descriptor.id, dialect: 'anthropic', client: newClient(settings, 'answered') }),
    retrieveModel: async ({ descriptor, apiKey, model, baseUrl, signal }) => {
      // No retries: a probe is one call.
      const client = newClient({ descriptor, apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 }, 'thrown');
      const { request_id, response } = await client.models.retrieve(model, {}, { signal }).withResponse();
      refuseNonJson(response);
      return { requestId: request_id ?? null };
    },
    listModels: async ({ descriptor, apiKey, baseUrl, signal, pageSize, maxModels }) => {
      const client = newClient({ descriptor, apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 }, 'thrown');
      const models: ListedModel[] = [];
      const { data: firstPage, response } = await client.models.list({ limit: pageSize }, { signal }).withResponse();
      refuseNonJson(response);
      // Each next page is asked for with after_id and the same options, the signal included.
      for await (const model of firstPage) {
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
  const newClient = ({ descriptor, apiKey, baseUrl, timeoutMs, maxRetries, usage }: ClientSettings, refusals: Refusals) =>
    new OpenAI({
      // Keyless providers' requests carry none: guardedFetch removes every credential header.
      apiKey: API_KEY_PLACEHOLDER,
      baseURL: baseUrl,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: timeoutMs,
      maxRetries,
      defaultHeaders: descriptor.fixedHeaders,
      fetch: guardedFetch(apiKey, descriptor.auth, baseUrl, usage ?? null, timeoutMs, refusals === 'answered' ? 'openai' : null),
      logLevel: 'off',
    });
  return {
    createClient: (settings) => ({ provider: settings.descriptor.id, dialect: 'openai', client: newClient(settings, 'answered') }),
    retrieveModel: async ({ descriptor, apiKey, model, baseUrl, signal }) => {
      // No retries: a probe is one call.
      const client = newClient({ descriptor, apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 }, 'thrown');
      const { keyTest } = descriptor;
      if (keyTest === 'model-list') {
        // The key's first page of models: a model it does not list is a 404, as a lookup's.
        const { data: page, request_id, response } = await client.models.list({ signal }).withResponse();
        refuseNonJson(response);
        if (!page.data.some((listed) => listed.id === model)) throw new OpenAI.NotFoundError(404, undefined, undefined, response.headers);
        return { requestId: request_id ?? null };
      }
      const call = keyTest === 'model-lookup' ? client.models.retrieve(model, { signal }) : client.get(keyTest.keyInfo, { signal });
      const { request_id, response } = await call.withResponse();
      refuseNonJson(response);
      return { requestId: request_id ?? null };
    },
    listModels: async ({ descriptor, apiKey, baseUrl, signal, maxModels }) => {
      const client = newClient({ descriptor, apiKey: new Secret(apiKey), baseUrl, maxRetries: 0 }, 'thrown');
      const models: ListedModel[] = [];
      const { data: firstPage, response } = await client.models.list({ signal }).withResponse();
      refuseNonJson(response);
      // OpenAI answers its whole list at once; the SDK's iterator would follow a next page all the same.
      for await (const model of firstPage) {
        models.push({ id: model.id, displayName: null });
        if (models.length >= maxModels) break;
      }
      return models;
    },
    errors: OpenAI,
  };
}

/**
 * Thrown for a successful answer that is not the API's JSON (a web page, a proxy's login):
 * the base URL points somewhere else, which a passed test or an empty model list would hide.
 */
export class NotApiAnswerError extends Error {
  constructor(readonly status: number) {
    super(`The provider answered HTTP ${status}, but not with JSON.`);
    this.name = 'NotApiAnswerError';
  }
}

function refuseNonJson(response: Response): void {
  if (!/\bjson\b/i.test(response.headers.get('content-type') ?? '')) throw new NotApiAnswerError(response.status);
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
 * One SDK loader per dialect: every provider speaks one of them. The SDKs are large and
 * a service may never use one, so each is imported at its dialect's first probe or
 * client instead of at start.
 */
export const DIALECT_SDKS: Readonly<Record<ProviderDialect, () => Promise<ProviderSdk>>> = {
  anthropic: loadedOnce(loadAnthropicSdk),
  openai: loadedOnce(loadOpenAiSdk),
};
