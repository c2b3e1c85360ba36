import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  CorruptedSettingsError,
  DecryptionError,
  ErrorCodes,
  isLlmSettingsError,
  LlmSettingsError,
  NotConfiguredError,
  PreconditionFailedError,
  ProbeBusyError,
  StorageUnavailableError,
  systemErrorCode,
} from '../src/index.js';

// The classes declared on a fixed code and a default message (errors.ts, withCode).
const FIXED_CODE_ERRORS = [
  ['NotConfiguredError', NotConfiguredError, ErrorCodes.SETTINGS_NOT_CONFIGURED],
  ['ConflictError', ConflictError, ErrorCodes.SETTINGS_CONFLICT],
  ['PreconditionFailedError', PreconditionFailedError, ErrorCodes.SETTINGS_PRECONDITION_FAILED],
  ['DecryptionError', DecryptionError, ErrorCodes.CRYPTO_UNDECRYPTABLE],
  ['CorruptedSettingsError', CorruptedSettingsError, ErrorCodes.SETTINGS_CORRUPTED],
  ['StorageUnavailableError', StorageUnavailableError, ErrorCodes.STORAGE_UNAVAILABLE],
  ['ProbeBusyError', ProbeBusyError, ErrorCodes.PROBE_BUSY],
] as const;

describe.each(FIXED_CODE_ERRORS)('%s', (name, ErrorClass, code) => {
  it('is named after its class and carries its code and default message', () => {
    const error = new ErrorClass();
    expect(error.name).toBe(name);
    expect(String(error)).toMatch(new RegExp(`^${name}: \\S`));
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(LlmSettingsError);
    expect(isLlmSettingsError(error, code)).toBe(true);
    expect(error.cause).toBeUndefined();
  });

  it('takes a message and a cause in place of the defaults', () => {
    const cause = new Error('driver failure');
    const error = new ErrorClass('Said otherwise.', { cause });
    expect(error.message).toBe('Said otherwise.');
    expect(error.cause).toBe(cause);
    expect(error.code).toBe(code);
  });

  it('is not taken for another class of the same base', () => {
    const others = FIXED_CODE_ERRORS.filter(([, other]) => other !== ErrorClass);
    for (const [, Other] of others) expect(new ErrorClass()).not.toBeInstanceOf(Other);
  });
});

describe('systemErrorCode', () => {
  const withCode = (message: string, code: unknown, cause?: unknown) => Object.assign(new Error(message, { cause }), { code });

  it('systemErrorCode - finds the system code below wrappers and inside an AggregateError', () => {
    const refused = new AggregateError([withCode('connect ECONNREFUSED ::1:443', 'ECONNREFUSED')], 'all attempts failed');
    expect(systemErrorCode(new Error('Connection error.', { cause: new TypeError('fetch failed', { cause: refused }) }))).toBe('ECONNREFUSED');
  });

  it('systemErrorCode - skips our dotted codes and a provider body\'s lower-case ones', () => {
    const chain = new ConflictError(undefined, { cause: withCode('quota', 'insufficient_quota', withCode('dns', 'ENOTFOUND')) });
    expect(systemErrorCode(chain)).toBe('ENOTFOUND');
  });

  it('systemErrorCode - returns null when nothing in the chain has a code, and for a non-error', () => {
    expect(systemErrorCode(new Error('bad port', { cause: new Error('no code') }))).toBeNull();
    expect(systemErrorCode('ECONNREFUSED')).toBeNull();
  });
});
