export { createHttpApp, DEFAULT_MAX_BODY_BYTES, type HttpAppOptions } from './app.js';
export type { AppState } from './app-state.js';
export { assertUsableApiToken, MAX_BEARER_TOKEN_LENGTH } from './bearer-auth.js';
export { alwaysReady, HEALTH_PATH, READY_PATH, type ReadinessCheck, type ReadinessReport } from './health-routes.js';
export { canonicalHost } from './host-check.js';
export { formatEtag, parseIfMatch, type IfMatch } from './if-match.js';
export { buildOpenApiDocument, OPENAPI_PATH, type OpenApiDocument, type OpenApiOptions } from './openapi.js';
export {
  CORE_ERROR_STATUS,
  HttpError,
  HttpErrorCodes,
  PROBLEM_CODES,
  PROBLEM_CONTENT_TYPE,
  problemFromError,
  problemTypeFor,
  RETRY_AFTER_SECONDS,
  type HttpErrorCode,
  type ProblemCode,
  type ProblemDetails,
  type ProblemResponse,
} from './problems.js';
export { REQUEST_ID_HEADER, requestLogWriterFor, type RequestLogEntry, type RequestLogWriter } from './request-log.js';
export { SETTINGS_PATH, SETTINGS_TEST_PATH, type HttpSettingsService } from './settings-routes.js';
