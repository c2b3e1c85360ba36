import { catalogueModel, catalogueModels } from '../model-catalogue.js';
import type { ListedModel } from '../ports/model-lister.port.js';
import { defaultModelFor, getProvider, type LlmProvider } from '../providers.js';
import type { LlmModelList, ModelListReason } from '../schemas.js';

/** The fixed wording of the reasons that are not a listing's outcome (those bring their own message). */
export function reasonMessage(provider: LlmProvider, reason: 'no_stored_key' | 'listing_disabled'): string {
  const name = getProvider(provider).displayName;
  return reason === 'no_stored_key'
    ? `No ${name} API key is stored; these are the built-in ${name} models.`
    : `Models are not listed from ${name} by this service; these are the built-in ones.`;
}

/** The built-in catalogue of `provider`, saying why it is not the live list. */
export function catalogueList(provider: LlmProvider, reason: ModelListReason, message: string): LlmModelList {
  const defaultModel = defaultModelFor(provider);
  return {
    provider,
    source: 'catalogue',
    models: catalogueModels(provider).map((m) => ({ id: m.id, display_name: m.displayName, default: m.id === defaultModel })),
    reason,
    message,
  };
}

/**
 * The models a key listed, in the provider's order. A model without a display name
 * (OpenAI gives none) takes the catalogue's, else its id.
 */
export function liveList(provider: LlmProvider, models: readonly ListedModel[]): LlmModelList {
  const defaultModel = defaultModelFor(provider);
  return {
    provider,
    source: 'live',
    models: models.map((m) => ({
      id: m.id,
      display_name: m.displayName ?? catalogueModel(provider, m.id)?.displayName ?? m.id,
      default: m.id === defaultModel,
    })),
  };
}
