export { createHttpApp, type HttpAppOptions } from './app.js';
export type { AppState } from './app-state.js';
export { API_TOKEN_RULE, isUsableApiToken, MAX_PRESENTED_TOKEN_LENGTH } from './bearer-auth.js';
export { WHOAMI_PATH, type CallerView } from './caller-route.js';
export { clientErrorListener } from './client-error.js';
export type { ReadinessCheck, ReadinessReport } from './health-routes.js';
export { canonicalHost } from './host-check.js';
export { corsOriginOf } from './cors.js';
export {
  DEFAULT_LLM_BODY_TIMEOUT_MS,
  DEFAULT_LLM_MAX_BODY_BYTES,
  DEFAULT_LLM_MAX_IN_FLIGHT,
  DEFAULT_LLM_MAX_IN_FLIGHT_PER_SCOPE,
  DEFAULT_LLM_TIMEOUT_MS,
  type LlmPassThroughOptions,
} from './llm-pass-through.js';
export { buildOpenApiDocument, type OpenApiDocument, type OpenApiOptions } from './openapi.js';
export { PROVIDERS_PATH } from './provider-routes.js';
export {
  HttpErrorCodes,
  PROBLEM_CODES,
  PROBLEM_CONTENT_TYPE,
  problemFromError,
  type HttpErrorCode,
  type ProblemCode,
  type ProblemDetails,
  type ProblemResponse,
} from './problems.js';
export { REQUEST_ID_HEADER } from './request-log.js';
export type { HttpSettingsService } from './settings-routes.js';
export { METRICS_PATH, type MetricsOptions, type MetricsScrape } from './metrics-route.js';
export { NO_OBSERVER, statusClassOf, type HttpObserver, type LlmCallObservation, type RequestObservation, type StatusClass } from './observer.js';
export { USAGE_PATH, type HttpUsage } from './usage-routes.js';
