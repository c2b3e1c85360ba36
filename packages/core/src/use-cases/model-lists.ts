import type { ListedModel } from '../ports/model-lister.port.js';
import type { ProviderDescriptor } from '../providers.js';
import type { LlmModelList, ModelListReason } from '../schemas.js';

/** The fixed wording of the reasons that are not a listing's outcome (those bring their own message). */
export function reasonMessage(provider: ProviderDescriptor, reason: 'no_stored_key' | 'listing_disabled'): string {
  const name = provider.displayName;
  return reason === 'no_stored_key'
    ? `No ${name} API key is stored; these are the built-in ${name} models.`
    : `Models are not listed from ${name} by this service; these are the built-in ones.`;
}

/** The built-in catalogue of `provider`, saying why it is not the live list. */
export function catalogueList(provider: ProviderDescriptor, reason: ModelListReason, message: string): LlmModelList {
  return {
    provider: provider.id,
    source: 'catalogue',
    models: provider.catalogue.map((m) => ({ id: m.id, display_name: m.displayName, default: m.id === provider.defaultModel })),
    reason,
    message,
  };
}

/**
 * The models a key listed, in the provider's order. A model without a display name
 * (OpenAI gives none) takes the catalogue's, else its id.
 */
export function liveList(provider: ProviderDescriptor, models: readonly ListedModel[]): LlmModelList {
  return {
    provider: provider.id,
    source: 'live',
    models: models.map((m) => ({
      id: m.id,
      display_name: m.displayName ?? provider.catalogue.find((entry) => entry.id === m.id)?.displayName ?? m.id,
      default: m.id === provider.defaultModel,
    })),
  };
}
