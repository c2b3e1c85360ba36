import { ErrorCodes, LlmSettingsError, ValidationError, type ErrorCode, type ProviderErrorObject, type ValidationIssue } from '@llm-settings/core';

/**
 * Codes of failures the HTTP adapter detects itself: HTTP's own (host, auth, routing,
 * media type, size, a body too slow to arrive, a request Node's parser refused) and the
 * LLM pass-through's (too many calls in flight, the stored provider is another one, the
 * provider cannot be reached or is too slow).
 */
export const HttpErrorCodes = {
  UNAUTHORIZED: 'HTTP.UNAUTHORIZED',
  FORBIDDEN_ORIGIN: 'HTTP.FORBIDDEN_ORIGIN',
  SCOPE_FORBIDDEN: 'HTTP.SCOPE_FORBIDDEN',
  PERMISSION_MISSING: 'HTTP.PERMISSION_MISSING',
  NOT_FOUND: 'HTTP.NOT_FOUND',
  METHOD_NOT_ALLOWED: 'HTTP.METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'HTTP.PAYLOAD_TOO_LARGE',
  REQUEST_TIMEOUT: 'HTTP.REQUEST_TIMEOUT',
  TOO_MANY_REQUESTS: 'HTTP.TOO_MANY_REQUESTS',
  UNSUPPORTED_MEDIA_TYPE: 'HTTP.UNSUPPORTED_MEDIA_TYPE',
  MISDIRECTED_REQUEST: 'HTTP.MISDIRECTED_REQUEST',
  MALFORMED_REQUEST: 'HTTP.MALFORMED_REQUEST',
  HEADERS_TOO_LARGE: 'HTTP.HEADERS_TOO_LARGE',
  SETTINGS_PROVIDER_MISMATCH: 'SETTINGS.PROVIDER_MISMATCH',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM.UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM.TIMEOUT',
} as const;

export type HttpErrorCode = (typeof HttpErrorCodes)[keyof typeof HttpErrorCodes];

/** Every `code` a problem body can carry. */
export type ProblemCode = ErrorCode | HttpErrorCode;

/** Every value of {@link ProblemCode}, for documentation. */
export const PROBLEM_CODES: readonly ProblemCode[] = [...Object.values(ErrorCodes), ...Object.values(HttpErrorCodes)];

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * An RFC 9457 problem body. `errors` is present for validation failures only; `error`
 * on the LLM pass-through only: the same detail and code in the provider's error shape,
 * which its SDK shows (see problem-middleware.ts).
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: ValidationIssue[];
  error?: ProviderErrorObject;
}

/** A problem with the status and headers to send it with. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: ProblemDetails;
}

/** A failure the HTTP adapter detects itself (see {@link HttpErrorCodes}), with its status. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly title: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: HttpErrorCode, title: string, detail: string, headers: Record<string, string> = {}, options: ErrorOptions = {}) {
    super(detail, options);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.headers = headers;
  }
}

/** The stable `type` URI of a code, e.g. `urn:llm-settings:problem:settings.precondition-failed`. */
export function problemTypeFor(code: ProblemCode): string {
  return `urn:llm-settings:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Seconds a client should wait before retrying a temporary failure. */
export const RETRY_AFTER_SECONDS = 1;

interface CoreMapping {
  status: number;
  title: string;
  /** When set, the detail sent instead of the error's message (which may describe internals). */
  genericDetail?: string;
  retryAfter?: boolean;
}

const INTERNAL_DETAIL = 'An unexpected error occurred. The X-Request-Id response header identifies it in the server logs.';

/**
 * Status of each core error code. Typed over every code so that a code added to core
 * fails the build here until it is mapped.
 */
export const CORE_ERROR_STATUS: Readonly<Record<ErrorCode, CoreMapping>> = {
  [ErrorCodes.VALIDATION_INVALID_INPUT]: { status: 400, title: 'Invalid request' },
  [ErrorCodes.VALIDATION_API_KEY_REQUIRED]: { status: 400, title: 'API key required' },
  // The resource's state, not the request, prevents the test: saving settings resolves it.
  [ErrorCodes.SETTINGS_NOT_CONFIGURED]: { status: 409, title: 'Settings not configured' },
  [ErrorCodes.SETTINGS_CONFLICT]: { status: 409, title: 'Concurrent modification' },
  [ErrorCodes.SETTINGS_PRECONDITION_FAILED]: { status: 412, title: 'Precondition failed' },
  // Stored settings the configured key cannot open: saving new settings (or deleting them)
  // resolves it, so it is a conflict with the stored state, not a server bug.
  [ErrorCodes.CRYPTO_UNDECRYPTABLE]: { status: 409, title: 'Encryption key mismatch' },
  [ErrorCodes.SETTINGS_CORRUPTED]: { status: 409, title: 'Stored settings unusable' },
  [ErrorCodes.SETTINGS_MODEL_PROVIDER_MISMATCH]: { status: 400, title: "Model of another provider" },
  // Kept settings the operator's configuration stops: saving new ones resolves it.
  [ErrorCodes.SETTINGS_PROVIDER_DISABLED]: { status: 409, title: 'Provider not enabled' },
  [ErrorCodes.SETTINGS_ENDPOINT_CHANGED]: { status: 409, title: 'Provider endpoint changed' },
  // Links stored one at a time added up to too long a chain: shortening it resolves it.
  [ErrorCodes.SETTINGS_INHERITANCE_TOO_DEEP]: { status: 409, title: 'Inheritance chain too long' },
  [ErrorCodes.STORAGE_UNAVAILABLE]: { status: 503, title: 'Storage unavailable', retryAfter: true },
  [ErrorCodes.PROBE_BUSY]: { status: 429, title: 'Too many connection tests', retryAfter: true },
  [ErrorCodes.CONFIG_INVALID]: { status: 500, title: 'Internal server error', genericDetail: INTERNAL_DETAIL },
  [ErrorCodes.INTERNAL]: { status: 500, title: 'Internal server error', genericDetail: INTERNAL_DETAIL },
};

/**
 * The one mapping from a thrown value to the problem sent for it. Only our own error
 * classes contribute their message; anything else becomes a generic 500 that says
 * nothing about internals.
 */
export function problemFromError(error: unknown): ProblemResponse {
  if (error instanceof HttpError) {
    return problem(error.status, error.code, error.title, error.message, { ...error.headers });
  }
  if (error instanceof LlmSettingsError && Object.hasOwn(CORE_ERROR_STATUS, error.code)) {
    const mapping = CORE_ERROR_STATUS[error.code];
    const headers: Record<string, string> = mapping.retryAfter ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {};
    const response = problem(mapping.status, error.code, mapping.title, mapping.genericDetail ?? error.message, headers);
    if (error instanceof ValidationError) {
      response.body.errors = error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    }
    return response;
  }
  return problem(500, ErrorCodes.INTERNAL, 'Internal server error', INTERNAL_DETAIL, {});
}

function problem(status: number, code: ProblemCode, title: string, detail: string, headers: Record<string, string>): ProblemResponse {
  return { status, headers, body: { type: problemTypeFor(code), title, status, detail, code } };
}
