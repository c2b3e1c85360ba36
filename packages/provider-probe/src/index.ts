export { DEFAULT_MAX_IN_FLIGHT, type ProviderCallOptions } from './call-options.js';
export { createProviderProbe, type ProviderProbeOptions } from './create-provider-probe.js';
export {
  createModelLister,
  DEFAULT_MODEL_PAGE_SIZE,
  MAX_LISTED_MODELS,
  type ModelListerOptions,
} from './create-model-lister.js';
export { OriginRefusedError } from './guarded-fetch.js';
export { DEFAULT_BASE_URLS, type AnthropicSdkClient, type OpenAiSdkClient, type SdkClient, type SdkClientFor } from './sdk-calls.js';
export { createSdkClient, type SdkClientOptions } from './sdk-client.js';
