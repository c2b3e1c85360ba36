import { PROVIDERS, type LlmProvider } from './providers.js';

/** A model as the model lists show it. */
export interface CatalogueModel {
  /** The id to send to the provider. */
  readonly id: string;
  readonly displayName: string;
}

/**
 * The built-in catalogue: current models of each provider, newest first, aliases
 * before their dated snapshots. It answers when no key can list the provider's models,
 * and tells a model of one provider from a model of the other. A provider's
 * `defaultModel` must be one of its entries (a test holds them together).
 */
export const MODEL_CATALOGUE: Readonly<Record<LlmProvider, readonly CatalogueModel[]>> = {
  anthropic: [
    { id: 'claude-opus-4-5', displayName: 'Claude Opus 4.5' },
    { id: 'claude-opus-4-5-20251101', displayName: 'Claude Opus 4.5' },
    { id: 'claude-sonnet-4-5', displayName: 'Claude Sonnet 4.5' },
    { id: 'claude-sonnet-4-5-20250929', displayName: 'Claude Sonnet 4.5' },
    { id: 'claude-haiku-4-5', displayName: 'Claude Haiku 4.5' },
    { id: 'claude-haiku-4-5-20251001', displayName: 'Claude Haiku 4.5' },
    { id: 'claude-opus-4-1', displayName: 'Claude Opus 4.1' },
    { id: 'claude-opus-4-1-20250805', displayName: 'Claude Opus 4.1' },
    { id: 'claude-opus-4-0', displayName: 'Claude Opus 4' },
    { id: 'claude-opus-4-20250514', displayName: 'Claude Opus 4' },
    { id: 'claude-sonnet-4-0', displayName: 'Claude Sonnet 4' },
    { id: 'claude-sonnet-4-20250514', displayName: 'Claude Sonnet 4' },
    { id: 'claude-3-7-sonnet-latest', displayName: 'Claude Sonnet 3.7' },
    { id: 'claude-3-7-sonnet-20250219', displayName: 'Claude Sonnet 3.7' },
    { id: 'claude-3-5-haiku-latest', displayName: 'Claude Haiku 3.5' },
    { id: 'claude-3-5-haiku-20241022', displayName: 'Claude Haiku 3.5' },
    { id: 'claude-3-haiku-20240307', displayName: 'Claude Haiku 3' },
  ],
  openai: [
    { id: 'gpt-5.1', displayName: 'GPT-5.1' },
    { id: 'gpt-5', displayName: 'GPT-5' },
    { id: 'gpt-5-mini', displayName: 'GPT-5 mini' },
    { id: 'gpt-5-nano', displayName: 'GPT-5 nano' },
    { id: 'gpt-4.1', displayName: 'GPT-4.1' },
    { id: 'gpt-4.1-mini', displayName: 'GPT-4.1 mini' },
    { id: 'gpt-4.1-nano', displayName: 'GPT-4.1 nano' },
    { id: 'gpt-4o', displayName: 'GPT-4o' },
    { id: 'gpt-4o-mini', displayName: 'GPT-4o mini' },
    { id: 'o3', displayName: 'o3' },
    { id: 'o3-pro', displayName: 'o3-pro' },
    { id: 'o3-mini', displayName: 'o3-mini' },
    { id: 'o4-mini', displayName: 'o4-mini' },
    { id: 'o1', displayName: 'o1' },
  ],
};

/** The catalogue's models of `provider`. */
export function catalogueModels(provider: LlmProvider): readonly CatalogueModel[] {
  return MODEL_CATALOGUE[provider];
}

/** The catalogue entry of `model` for `provider`, or null when the catalogue does not list it there. */
export function catalogueModel(provider: LlmProvider, model: string): CatalogueModel | null {
  return MODEL_CATALOGUE[provider].find((entry) => entry.id === model) ?? null;
}

/** The provider whose catalogue lists `model`, or null when no catalogue does. */
export function catalogueProviderOf(model: string): LlmProvider | null {
  return PROVIDERS.find((p) => catalogueModel(p.id, model) !== null)?.id ?? null;
}
