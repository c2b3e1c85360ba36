import {
  ANTHROPIC_MODELS,
  AZURE_OPENAI_MODELS,
  DEEPSEEK_MODELS,
  GEMINI_MODELS,
  GROQ_MODELS,
  MISTRAL_MODELS,
  OLLAMA_MODELS,
  OPENAI_MODELS,
  OPENROUTER_MODELS,
  XAI_MODELS,
  type CatalogueModel,
} from './built-in-catalogues.js';
import { ConfigError } from './errors.js';
import type { ProbeCode } from './schemas.js';

/**
 * A provider id: a built-in's (`anthropic`, `openai`, `openrouter`, ...) or an
 * operator-defined one, `[a-z0-9-]{1,40}`. Which ids a service accepts is its
 * {@link ProviderRegistry}'s enabled set, runtime configuration.
 */
export type LlmProvider = string;

/** The wire protocol a provider speaks: Anthropic's Messages API, or OpenAI's. */
export type ProviderDialect = 'anthropic' | 'openai';

/**
 * How the key travels: `x-api-key: <key>`, `Authorization: Bearer <key>`,
 * `api-key: <key>` (Azure OpenAI), or not at all (keyless local servers).
 */
export type ProviderAuth = 'x-api-key' | 'bearer' | 'api-key' | 'none';

/**
 * How a key is tested with one call that spends no tokens: retrieve the model
 * (`model-lookup`, checks the key and the model), list the models (`model-list`,
 * for providers without a model lookup; checks the model is listed), or a key-info
 * route under the API root (`{ keyInfo: '/key' }`, for providers whose model list needs
 * no key; checks the key only).
 */
export type ProviderKeyTest = 'model-lookup' | 'model-list' | { readonly keyInfo: string };

/** Whether a passed key test of this provider also means the model is available: false for a key-info route. */
export function keyTestChecksModel(descriptor: Pick<ProviderDescriptor, 'keyTest'>): boolean {
  return typeof descriptor.keyTest === 'string';
}

/** The probe codes of a key test the provider refused. */
export type ProbeFailureCode = Exclude<ProbeCode, 'ok'>;

/**
 * What a provider's HTTP error statuses mean for a key test, as probe codes. A status not
 * listed (5xx, Anthropic's 529, anything unexpected) is `provider_unavailable`.
 */
export type ProbeStatusCodes = Readonly<Partial<Record<number, ProbeFailureCode>>>;

/**
 * Each dialect's reading of its statuses, which both document alike: 401 key rejected,
 * 403 key lacks permission, 404 key accepted but the model unknown, 429 throttled.
 * A descriptor adds its provider's own (see DeepSeek's and OpenRouter's 402).
 */
export const DIALECT_PROBE_STATUS_CODES: Readonly<Record<ProviderDialect, ProbeStatusCodes>> = {
  anthropic: { 401: 'invalid_api_key', 403: 'permission_denied', 404: 'model_not_found', 429: 'rate_limited' },
  openai: { 401: 'invalid_api_key', 403: 'permission_denied', 404: 'model_not_found', 429: 'rate_limited' },
};

/** The probe code of `status` answered to a key test by the provider of `descriptor`. */
export function probeCodeForStatus(descriptor: Pick<ProviderDescriptor, 'probeStatusCodes'>, status: number): ProbeFailureCode {
  return descriptor.probeStatusCodes[status] ?? 'provider_unavailable';
}

/**
 * A 402 (out of credit) answered to a key test: the key is recognised and refused the
 * call, as a permission would be.
 */
const OUT_OF_CREDIT: ProbeStatusCodes = { 402: 'permission_denied' };

/** A pass-through route by its path under the provider's `/v1`. */
export type PassThroughPathName =
  | '/v1/messages'
  | '/v1/messages/count_tokens'
  | '/v1/chat/completions'
  | '/v1/responses'
  | '/v1/embeddings'
  | '/v1/models';

/**
 * Everything about one provider, as data: every part of the service (validation, the
 * probe, the model lister, the pass-through, `client()`, the page, the OpenAPI document)
 * follows it. Adding a built-in OpenAI-compatible provider is one descriptor and its
 * catalogue.
 */
export interface ProviderDescriptor {
  /** Wire name, used in the HTTP contract, the pass-through's path and stored settings. */
  readonly id: LlmProvider;
  readonly displayName: string;
  /** Also the shape of its error bodies (`{type:"error",error}` or `{error}`), as its SDK reads them. */
  readonly dialect: ProviderDialect;
  /**
   * The API root as the SDKs take it: Anthropic's without a path, an OpenAI-dialect one
   * ending where `/chat/completions` appends. Null when the operator must give it.
   */
  readonly defaultBaseUrl: string | null;
  readonly auth: ProviderAuth;
  /** Headers every call carries (names lower case). */
  readonly fixedHeaders: Readonly<Record<string, string>>;
  /** Where the provider puts its request id in answers (lower case). */
  readonly requestIdHeader: string;
  /** Prefixes of the rate-limit headers the pass-through passes back (lower case). */
  readonly rateLimitHeaderPrefixes: readonly string[];
  /** The routes the pass-through forwards. */
  readonly routes: readonly PassThroughPathName[];
  readonly keyTest: ProviderKeyTest;
  /** How the answers to the key test map to the probe's codes: its dialect's table, and the provider's own statuses. */
  readonly probeStatusCodes: ProbeStatusCodes;
  /** Model used when a request names none; one of `catalogue`. */
  readonly defaultModel: string;
  readonly catalogue: readonly CatalogueModel[];
  /**
   * Sanity limits for API keys, in characters, checked on every key a request sends
   * (`SETTINGS.INVALID_INPUT` naming the provider and the limit). Deliberately loose:
   * providers change key prefixes, and gateways issue keys of their own shape, so the
   * probe is the real check. {@link openAiCompatible} gives 1 to 512.
   */
  readonly apiKey: { readonly minLength: number; readonly maxLength: number };
  /** False for keyless servers: settings may be saved without a key. */
  readonly keyRequired: boolean;
  /**
   * True for a host or gateway that serves other vendors' models under their ids (Azure
   * OpenAI, Groq, Ollama, an operator's gateway): a model that another enabled provider's
   * catalogue lists is then a choice, not a mix-up to refuse. {@link openAiCompatible}
   * gives true; a vendor's own API sets false.
   * @default false
   */
  readonly servesOthersModels?: boolean;
}

const KEY_LIMITS = { minLength: 1, maxLength: 512 } as const;
const OPENAI_ROUTES: readonly PassThroughPathName[] = ['/v1/chat/completions', '/v1/embeddings', '/v1/models'];

/** An OpenAI-compatible provider: Bearer key, OpenAI's envelope and request id, the common routes; a host of others' models unless it says not. */
export function openAiCompatible(
  fields: Pick<ProviderDescriptor, 'id' | 'displayName' | 'defaultBaseUrl' | 'defaultModel' | 'catalogue'> & Partial<ProviderDescriptor>,
): ProviderDescriptor {
  return {
    dialect: 'openai',
    auth: 'bearer',
    fixedHeaders: {},
    requestIdHeader: 'x-request-id',
    rateLimitHeaderPrefixes: ['x-ratelimit-'],
    routes: OPENAI_ROUTES,
    keyTest: 'model-lookup',
    probeStatusCodes: DIALECT_PROBE_STATUS_CODES.openai,
    apiKey: KEY_LIMITS,
    keyRequired: fields.auth !== 'none',
    servesOthersModels: true,
    ...fields,
  };
}

/**
 * The built-in providers. Default API roots and catalogues checked on 2026-12-06 against
 * the providers' docs: docs.claude.com/en/api (errors, models), platform.openai.com,
 * openrouter.ai/docs (api/v1, errors), ai.google.dev/gemini-api/docs/openai (v1beta/openai),
 * docs.mistral.ai (api.mistral.ai/v1), console.groq.com/docs/openai (openai/v1),
 * api-docs.deepseek.com (its root, `/v1` accepted "for OpenAI compatibility"; error codes),
 * docs.x.ai/api/integrations (api.x.ai/v1). The server README's provider table repeats them.
 */
export const PROVIDERS: readonly ProviderDescriptor[] = [
  {
    id: 'anthropic',
    displayName: 'Anthropic',
    dialect: 'anthropic',
    defaultBaseUrl: 'https://api.anthropic.com',
    auth: 'x-api-key',
    fixedHeaders: {},
    requestIdHeader: 'request-id',
    rateLimitHeaderPrefixes: ['anthropic-ratelimit-'],
    routes: ['/v1/messages', '/v1/messages/count_tokens', '/v1/models'],
    keyTest: 'model-lookup',
    probeStatusCodes: DIALECT_PROBE_STATUS_CODES.anthropic,
    defaultModel: 'claude-sonnet-4-20250514',
    catalogue: ANTHROPIC_MODELS,
    apiKey: KEY_LIMITS,
    keyRequired: true,
  },
  openAiCompatible({
    id: 'openai',
    servesOthersModels: false,
    displayName: 'OpenAI',
    defaultBaseUrl: 'https://api.openai.com/v1',
    routes: ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/models'],
    defaultModel: 'gpt-4o',
    catalogue: OPENAI_MODELS,
  }),
  openAiCompatible({
    id: 'openrouter',
    displayName: 'OpenRouter',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    // Its model list answers without a key: the key-info route checks the key.
    keyTest: { keyInfo: '/key' },
    // openrouter.ai/docs/api/reference/errors: 402, the key or its account is out of credit.
    probeStatusCodes: { ...DIALECT_PROBE_STATUS_CODES.openai, ...OUT_OF_CREDIT },
    defaultModel: 'openai/gpt-4o',
    catalogue: OPENROUTER_MODELS,
  }),
  openAiCompatible({
    id: 'gemini',
    servesOthersModels: false,
    displayName: 'Google Gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    defaultModel: 'gemini-2.5-flash',
    catalogue: GEMINI_MODELS,
  }),
  openAiCompatible({
    id: 'mistral',
    servesOthersModels: false,
    displayName: 'Mistral AI',
    defaultBaseUrl: 'https://api.mistral.ai/v1',
    defaultModel: 'mistral-large-latest',
    catalogue: MISTRAL_MODELS,
  }),
  openAiCompatible({
    id: 'groq',
    displayName: 'Groq',
    defaultBaseUrl: 'https://api.groq.com/openai/v1',
    routes: ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/models'],
    defaultModel: 'llama-3.3-70b-versatile',
    catalogue: GROQ_MODELS,
  }),
  openAiCompatible({
    id: 'deepseek',
    servesOthersModels: false,
    displayName: 'DeepSeek',
    defaultBaseUrl: 'https://api.deepseek.com/v1',
    // No model lookup: the model list checks the key.
    keyTest: 'model-list',
    // api-docs.deepseek.com/quick_start/error_codes: 402, insufficient balance.
    probeStatusCodes: { ...DIALECT_PROBE_STATUS_CODES.openai, ...OUT_OF_CREDIT },
    routes: ['/v1/chat/completions', '/v1/models'],
    defaultModel: 'deepseek-v4-flash',
    catalogue: DEEPSEEK_MODELS,
  }),
  openAiCompatible({
    id: 'xai',
    servesOthersModels: false,
    displayName: 'xAI',
    defaultBaseUrl: 'https://api.x.ai/v1',
    routes: ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/models'],
    defaultModel: 'grok-4',
    catalogue: XAI_MODELS,
  }),
  openAiCompatible({
    id: 'azure-openai',
    displayName: 'Azure OpenAI',
    // The resource's own `https://<resource>.openai.azure.com/openai/v1`: the operator's.
    defaultBaseUrl: null,
    auth: 'api-key',
    routes: ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/models'],
    defaultModel: 'gpt-4o',
    catalogue: AZURE_OPENAI_MODELS,
  }),
  openAiCompatible({
    id: 'ollama',
    displayName: 'Ollama',
    defaultBaseUrl: 'http://127.0.0.1:11434/v1',
    auth: 'none',
    keyRequired: false,
    defaultModel: 'llama3.2',
    catalogue: OLLAMA_MODELS,
  }),
];

/** The providers enabled when the operator names none (`LLM_PROVIDERS`). */
export const DEFAULT_ENABLED_PROVIDERS: readonly LlmProvider[] = ['anthropic', 'openai'];

/** Provider ids as operators write them: lower-case letters, digits and `-`, 1 to 40. */
export const PROVIDER_ID_PATTERN = /^[a-z0-9-]{1,40}$/;

/**
 * Why `value` cannot be an API root, as the end of a sentence naming it, or null when it
 * can. The SDKs append paths to the root as text, so a query or fragment would swallow
 * them, and a user name or password would fail every call and be quoted in its error.
 */
export function apiRootProblem(value: unknown): string | null {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  // `?` and `#` as typed: an empty query or fragment still swallows the path.
  if (url.username !== '' || url.password !== '' || /[?#]/.test(String(value))) return 'must not hold a user name, password, query or fragment';
  return null;
}

/** The origin (scheme, host, port) of an API root: what a stored key is bound to. */
function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}

/** The environment variable of a provider's API root: `OPENROUTER_BASE_URL`, `AZURE_OPENAI_BASE_URL`. */
export function baseUrlVariableOf(id: LlmProvider): string {
  return `${id.toUpperCase().replaceAll('-', '_')}_BASE_URL`;
}

export interface ProviderRegistryOptions {
  /**
   * The ids accepted on input, in the order lists show them; each must be a built-in or
   * one of `custom`.
   * @default DEFAULT_ENABLED_PROVIDERS plus the ids of `custom`
   */
  enabled?: readonly LlmProvider[];
  /**
   * Operator-defined providers; their ids may not shadow a built-in.
   * @default []
   */
  custom?: readonly ProviderDescriptor[];
  /**
   * API roots of the operator, by provider id, over the descriptors' defaults. Only the
   * operator sets them: no request can name one.
   * @default {}
   */
  baseUrls?: Readonly<Record<string, string | undefined>>;
}

/**
 * The providers a service knows (built-ins and the operator's), which of them are
 * enabled, and each one's API root. Built once at start from configuration.
 */
export class ProviderRegistry {
  /** The enabled ids, never empty, in order; the first is the default provider. */
  readonly enabledIds: readonly [LlmProvider, ...LlmProvider[]];
  private readonly known = new Map<LlmProvider, ProviderDescriptor>();
  private readonly roots = new Map<LlmProvider, string>();
  /** The origin of each root, made once: `resolve()` compares it on every call. */
  private readonly origins = new Map<LlmProvider, string>();

  /** @throws ConfigError for an unknown or shadowing id, an unusable API root, or an enabled provider without one. */
  constructor(private readonly options: ProviderRegistryOptions = {}) {
    for (const descriptor of PROVIDERS) this.known.set(descriptor.id, descriptor);
    for (const descriptor of options.custom ?? []) {
      if (this.known.has(descriptor.id)) throw new ConfigError(`provider ${descriptor.id} is a built-in provider; choose another id`);
      const { minLength, maxLength } = descriptor.apiKey;
      if (!Number.isSafeInteger(minLength) || !Number.isSafeInteger(maxLength) || minLength < 1 || maxLength < minLength) {
        throw new ConfigError(`provider ${descriptor.id}: its API key length limits must be whole numbers, 1 <= minLength <= maxLength`);
      }
      this.known.set(descriptor.id, descriptor);
    }
    const enabled = [...new Set(options.enabled ?? [...DEFAULT_ENABLED_PROVIDERS, ...(options.custom ?? []).map((c) => c.id)])];
    const unknown = enabled.filter((id) => !this.known.has(id));
    if (unknown.length > 0) throw new ConfigError(`unknown providers: ${unknown.join(', ')}; the known ones are: ${[...this.known.keys()].join(', ')}`);
    if (enabled.length === 0) throw new ConfigError('at least one provider must be enabled');
    this.enabledIds = enabled as [LlmProvider, ...LlmProvider[]];
    for (const [id, descriptor] of this.known) {
      // Own properties only: an id such as `constructor` is every object's too.
      const root = (options.baseUrls !== undefined && Object.hasOwn(options.baseUrls, id) ? options.baseUrls[id] : undefined) ?? descriptor.defaultBaseUrl;
      if (root !== null && root !== undefined) {
        const problem = apiRootProblem(root);
        if (problem !== null) throw new ConfigError(`provider ${id}: its API root ${problem}`);
        this.roots.set(id, root);
        this.origins.set(id, originOf(root));
      } else if (this.isEnabled(id)) throw new ConfigError(`${baseUrlVariableOf(id)} is required when ${id} is enabled: ${descriptor.displayName} has no default API root`);
    }
  }

  /** The provider used when nothing is stored: the first enabled one. */
  get defaultProvider(): LlmProvider {
    return this.enabledIds[0];
  }

  /** The same providers, with these API roots over the ones given before. */
  withBaseUrls(baseUrls: Readonly<Record<string, string | undefined>>): ProviderRegistry {
    return new ProviderRegistry({ ...this.options, baseUrls: { ...this.options.baseUrls, ...baseUrls } });
  }

  /** True for a built-in or operator-defined id, enabled or not. */
  isKnown(id: string): boolean {
    return this.known.has(id);
  }

  isEnabled(id: string): boolean {
    return this.enabledIds.includes(id);
  }

  /** The descriptor of a known id. @throws Error for an unknown one (a bug: ids are validated first). */
  get(id: LlmProvider): ProviderDescriptor {
    const found = this.known.get(id);
    if (!found) throw new Error(`Unknown provider id: ${String(id)}`);
    return found;
  }

  /** The enabled providers' descriptors, in order. */
  enabled(): ProviderDescriptor[] {
    return this.enabledIds.map((id) => this.get(id));
  }

  /** Whether calls to `id` have an API root: false for one without a default whose `<ID>_BASE_URL` is unset (Azure OpenAI). */
  hasRoot(id: LlmProvider): boolean {
    return this.roots.has(id);
  }

  /** The API root calls to `id` go to. @throws Error when it has none (a disabled Azure without its root). */
  baseUrl(id: LlmProvider): string {
    const root = this.roots.get(id);
    if (root === undefined) throw new Error(`No API root for provider ${id}`);
    return root;
  }

  /** The origin of the API root of `id`: what a key saved for it is bound to. @throws Error when it has none. */
  origin(id: LlmProvider): string {
    const origin = this.origins.get(id);
    if (origin === undefined) throw new Error(`No API root for provider ${id}`);
    return origin;
  }

  /** The catalogue entry of `model` for `provider`, or null. */
  catalogueModel(provider: LlmProvider, model: string): CatalogueModel | null {
    return this.known.get(provider)?.catalogue.find((entry) => entry.id === model) ?? null;
  }

  /**
   * An enabled provider other than `provider` whose catalogue lists `model` while
   * `provider`'s does not; else null, and always null for a host of others' models.
   */
  otherOwnerOf(provider: LlmProvider, model: string): LlmProvider | null {
    if (this.catalogueModel(provider, model) !== null || this.known.get(provider)?.servesOthersModels === true) return null;
    return this.enabledIds.find((id) => this.catalogueModel(id, model) !== null) ?? null;
  }
}

/** The enabled providers as clients see them (`GET /api/settings/llm/providers`). */
export function providerListOf(providers: ProviderRegistry): {
  providers: { id: string; display_name: string; dialect: ProviderDialect; key_required: boolean; default_model: string }[];
} {
  return {
    providers: providers.enabled().map((p) => ({
      id: p.id,
      display_name: p.displayName,
      dialect: p.dialect,
      key_required: p.keyRequired,
      default_model: p.defaultModel,
    })),
  };
}

/** The registry of a service configured with nothing: Anthropic and OpenAI, at their public roots. */
export const DEFAULT_PROVIDER_REGISTRY = new ProviderRegistry();

export const ENABLED_PROVIDER_IDS = DEFAULT_PROVIDER_REGISTRY.enabledIds;

export const DEFAULT_PROVIDER: LlmProvider = 'anthropic';

/** The descriptor of a built-in provider id. */
export function getProvider(id: LlmProvider): ProviderDescriptor {
  return DEFAULT_PROVIDER_REGISTRY.get(id);
}

/** The model used for a built-in `provider` when none is given. */
export function defaultModelFor(provider: LlmProvider): string {
  return getProvider(provider).defaultModel;
}
