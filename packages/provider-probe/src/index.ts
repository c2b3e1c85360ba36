export {
  createProviderProbe,
  DEFAULT_MAX_IN_FLIGHT,
  type ProviderProbeOptions,
} from './create-provider-probe.js';
export { RedirectRefusedError } from './guarded-fetch.js';
export { DEFAULT_BASE_URLS, type SdkClient, type SdkClientFor } from './sdk-calls.js';
export { createSdkClient, type SdkClientOptions } from './sdk-client.js';
