/**
 * The provider registry. Adding a provider is one entry here plus one probe in the
 * probe adapter; only `enabled` providers are accepted on input.
 */
export interface ProviderDefinition {
  /** Wire name, used in the HTTP contract and in stored settings. */
  readonly id: string;
  readonly displayName: string;
  /** Model used when a request names none. */
  readonly defaultModel: string;
  readonly enabled: boolean;
  /**
   * Sanity limits for API keys. Deliberately loose: providers change key prefixes,
   * and gateways issue keys of their own shape, so the probe is the real check.
   */
  readonly apiKey: { readonly minLength: number; readonly maxLength: number };
}

export const PROVIDERS = [
  {
    id: 'anthropic',
    displayName: 'Anthropic',
    defaultModel: 'claude-sonnet-4-20250514',
    enabled: true,
    apiKey: { minLength: 1, maxLength: 512 },
  },
  {
    id: 'openai',
    displayName: 'OpenAI',
    defaultModel: 'gpt-4o',
    enabled: true,
    apiKey: { minLength: 1, maxLength: 512 },
  },
] as const satisfies readonly ProviderDefinition[];

export type LlmProvider = (typeof PROVIDERS)[number]['id'];

export const ENABLED_PROVIDER_IDS = PROVIDERS.filter((p) => p.enabled).map((p) => p.id) as [LlmProvider, ...LlmProvider[]];

export const DEFAULT_PROVIDER: LlmProvider = 'anthropic';

/** The registry entry of a provider id. */
export function getProvider(id: LlmProvider): ProviderDefinition {
  const found = PROVIDERS.find((p) => p.id === id);
  if (!found) throw new Error(`Unknown provider id: ${String(id)}`);
  return found;
}

/** The model used for `provider` when none is given. */
export function defaultModelFor(provider: LlmProvider): string {
  return getProvider(provider).defaultModel;
}
