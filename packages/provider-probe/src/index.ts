export {
  createProviderProbe,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_PROBE_TIMEOUT_MS,
  type ProviderProbeOptions,
} from './create-provider-probe.js';
export { DEFAULT_BASE_URLS } from './sdk-calls.js';
