/**
 * Stable error codes. Callers branch on `code`, never on the message; the HTTP
 * adapter maps each code to a status. New codes may be added, none is renamed.
 */
export const ErrorCodes = {
  VALIDATION_INVALID_INPUT: 'VALIDATION.INVALID_INPUT',
  VALIDATION_API_KEY_REQUIRED: 'VALIDATION.API_KEY_REQUIRED',
  SETTINGS_NOT_CONFIGURED: 'SETTINGS.NOT_CONFIGURED',
  SETTINGS_CONFLICT: 'SETTINGS.CONFLICT',
  SETTINGS_PRECONDITION_FAILED: 'SETTINGS.PRECONDITION_FAILED',
  SETTINGS_CORRUPTED: 'SETTINGS.CORRUPTED',
  SETTINGS_MODEL_PROVIDER_MISMATCH: 'SETTINGS.MODEL_PROVIDER_MISMATCH',
  SETTINGS_PROVIDER_DISABLED: 'SETTINGS.PROVIDER_DISABLED',
  SETTINGS_ENDPOINT_CHANGED: 'SETTINGS.ENDPOINT_CHANGED',
  SETTINGS_INHERITANCE_TOO_DEEP: 'SETTINGS.INHERITANCE_TOO_DEEP',
  CRYPTO_UNDECRYPTABLE: 'CRYPTO.UNDECRYPTABLE',
  STORAGE_UNAVAILABLE: 'STORAGE.UNAVAILABLE',
  PROBE_BUSY: 'PROBE.BUSY',
  CONFIG_INVALID: 'CONFIG.INVALID',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** One problem with one input field; `path` names the field, never its value. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export interface LlmSettingsErrorOptions {
  cause?: unknown;
}

/**
 * Base class of every error this library throws on purpose. The message is written
 * for humans and never contains a secret; `code` is the stable machine-readable part.
 */
export class LlmSettingsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: LlmSettingsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The base of an error class whose code is fixed and whose message has a default: the
 * class declared on it is named, so `name` reads as that class (the base sets it from
 * `new.target`).
 */
function withCode(code: ErrorCode, defaultMessage: string): new (message?: string, options?: LlmSettingsErrorOptions) => LlmSettingsError {
  return class extends LlmSettingsError {
    constructor(message = defaultMessage, options?: LlmSettingsErrorOptions) {
      super(code, message, options);
    }
  };
}

/** Input that breaks a rule; `issues` lists each field and what is wrong with it. */
export class ValidationError extends LlmSettingsError {
  readonly issues: readonly ValidationIssue[];

  constructor(
    message: string,
    issues: readonly ValidationIssue[] = [],
    code: ErrorCode = ErrorCodes.VALIDATION_INVALID_INPUT,
  ) {
    super(code, message);
    this.issues = issues;
  }
}

/** A test of the stored settings was asked for, and nothing is stored. */
export class NotConfiguredError extends withCode(ErrorCodes.SETTINGS_NOT_CONFIGURED, 'No LLM settings are configured yet. Save settings first, or send the settings to test.') {}

/** The stored settings are for a provider the operator no longer enables; they are kept, not used. */
export class ProviderDisabledError extends LlmSettingsError {
  constructor(provider: string) {
    super(
      ErrorCodes.SETTINGS_PROVIDER_DISABLED,
      `The settings of this scope are for provider ${provider}, which this server does not enable (LLM_PROVIDERS); they are kept. Save settings for an enabled provider, or ask the operator to enable it.`,
    );
  }
}

/**
 * The provider's API root moved to another origin since the key was saved: the key is
 * not sent there until it is saved again or the operator confirms the move.
 */
export class EndpointChangedError extends LlmSettingsError {
  constructor(provider: string, savedOrigin: string, currentOrigin: string) {
    super(
      ErrorCodes.SETTINGS_ENDPOINT_CHANGED,
      `The key of this scope was saved for ${provider} at ${savedOrigin}, and ${provider} is now configured at ${currentOrigin}: the key is not sent there. ` +
        `Save the key again, or have the operator run \`llm-settings confirm-endpoint --provider ${provider}\`.`,
    );
  }
}

/**
 * The scope's `inherit_from` chain is longer than the links followed. Each link is checked
 * up the chain when written, so links written child first can still add up to one; its
 * settings are then unknown, which is an error rather than none.
 */
export class InheritanceTooDeepError extends LlmSettingsError {
  constructor(scope: string, maxLinks: number) {
    super(
      ErrorCodes.SETTINGS_INHERITANCE_TOO_DEEP,
      `The inherit_from chain of scope ${scope} is longer than ${maxLinks} links, so its settings cannot be read. ` +
        `Shorten the chain: link the scope, or one up its chain, to a scope nearer to the one with the settings, or give one of them settings of its own.`,
    );
  }
}

/** A compare-and-set lost: the record changed since the version the writer expected. */
export class ConflictError extends withCode(ErrorCodes.SETTINGS_CONFLICT, 'The settings were changed by another request. Read them again and retry.') {}

/** The caller's If-Match precondition does not hold. */
export class PreconditionFailedError extends withCode(ErrorCodes.SETTINGS_PRECONDITION_FAILED, 'The settings do not match the version given in If-Match.') {}

/**
 * A token a cipher cannot open: wrong key, tampered, truncated or malformed. The
 * reasons are deliberately not told apart, so the error helps no attacker.
 */
export class DecryptionError extends withCode(ErrorCodes.CRYPTO_UNDECRYPTABLE, 'The encrypted value cannot be decrypted with the configured encryption key(s).') {}

/** Stored settings that decrypt but fail the integrity checks (wrong scope, bad shape). */
export class CorruptedSettingsError extends withCode(ErrorCodes.SETTINGS_CORRUPTED, 'The stored settings failed an integrity check and were not used.') {}

/** The store cannot be reached or cannot write; retrying later may succeed. */
export class StorageUnavailableError extends withCode(ErrorCodes.STORAGE_UNAVAILABLE, 'The settings storage is unavailable.') {}

/** Too many provider probes are already in flight in this process. */
export class ProbeBusyError extends withCode(ErrorCodes.PROBE_BUSY, 'Too many connection tests are running. Try again in a moment.') {}

/** Configuration that cannot be used; the message names the setting, never its value. */
export class ConfigError extends LlmSettingsError {
  constructor(message: string, options?: LlmSettingsErrorOptions) {
    super(ErrorCodes.CONFIG_INVALID, message, options);
  }
}

/** True when `error` is one of ours, optionally with the given code. */
export function isLlmSettingsError(error: unknown, code?: ErrorCode): error is LlmSettingsError {
  return error instanceof LlmSettingsError && (code === undefined || error.code === code);
}

/**
 * The error and everything it wraps, outermost first: its `cause` chain and the members
 * of an AggregateError, to a bounded depth (error objects may be cyclic).
 */
export function* errorChain(error: unknown, depth = 0): Generator<object> {
  if (depth > 8 || typeof error !== 'object' || error === null) return;
  yield error;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) yield* errorChain(inner, depth + 1);
  }
  yield* errorChain((error as { cause?: unknown }).cause, depth + 1);
}

const SYSTEM_ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * The code of the first system error in `error`'s chain (ECONNREFUSED, ENOTFOUND, a TLS
 * certificate's), which tells an operator why a host could not be reached: a code, never
 * a message, which can quote a host and port or a remote party's text.
 */
export function systemErrorCode(error: unknown): string | null {
  for (const link of errorChain(error)) {
    const { code } = link as { code?: unknown };
    if (typeof code === 'string' && SYSTEM_ERROR_CODE.test(code)) return code;
  }
  return null;
}
