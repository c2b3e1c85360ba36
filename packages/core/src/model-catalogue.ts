import type { CatalogueModel } from './built-in-catalogues.js';
import { DEFAULT_PROVIDER_REGISTRY, PROVIDERS, type LlmProvider } from './providers.js';

export type { CatalogueModel } from './built-in-catalogues.js';

/** The catalogue's models of a built-in `provider`. */
export function catalogueModels(provider: LlmProvider): readonly CatalogueModel[] {
  return DEFAULT_PROVIDER_REGISTRY.get(provider).catalogue;
}

/** The catalogue entry of `model` for a built-in `provider`, or null when the catalogue does not list it there. */
export function catalogueModel(provider: LlmProvider, model: string): CatalogueModel | null {
  return DEFAULT_PROVIDER_REGISTRY.catalogueModel(provider, model);
}

/** The first built-in provider whose catalogue lists `model`, or null when no catalogue does. */
export function catalogueProviderOf(model: string): LlmProvider | null {
  return PROVIDERS.find((p) => catalogueModel(p.id, model) !== null)?.id ?? null;
}
