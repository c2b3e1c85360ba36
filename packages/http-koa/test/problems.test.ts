import {
  ConfigError,
  ErrorCodes,
  LlmSettingsError,
  StorageUnavailableError,
  ValidationError,
  type ErrorCode,
} from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import { CORE_ERROR_STATUS, HttpError, HttpErrorCodes, problemFromError, problemTypeFor } from '../src/problems.js';

const EXPECTED_STATUS: Record<ErrorCode, number> = {
  'VALIDATION.INVALID_INPUT': 400,
  'VALIDATION.API_KEY_REQUIRED': 400,
  'SETTINGS.NOT_CONFIGURED': 409,
  'SETTINGS.CONFLICT': 409,
  'SETTINGS.PRECONDITION_FAILED': 412,
  'SETTINGS.CORRUPTED': 409,
  'SETTINGS.MODEL_PROVIDER_MISMATCH': 400,
  'SETTINGS.PROVIDER_DISABLED': 409,
  'SETTINGS.ENDPOINT_CHANGED': 409,
  'SETTINGS.INHERITANCE_TOO_DEEP': 409,
  'CRYPTO.UNDECRYPTABLE': 409,
  'STORAGE.UNAVAILABLE': 503,
  'PROBE.BUSY': 429,
  'CONFIG.INVALID': 500,
  INTERNAL: 500,
};

describe('problemFromError', () => {
  it.each(Object.values(ErrorCodes))('maps %s to its documented status, type and code', (code) => {
    const { status, body } = problemFromError(new LlmSettingsError(code, 'A message for humans.'));
    expect(status).toBe(EXPECTED_STATUS[code]);
    expect(body).toMatchObject({ status, code, type: problemTypeFor(code), title: CORE_ERROR_STATUS[code].title });
  });

  it('uses the message of client-facing errors as the detail, and a generic one for 500s', () => {
    expect(problemFromError(new StorageUnavailableError('Storage is down.')).body.detail).toBe('Storage is down.');
    const config = problemFromError(new ConfigError('databaseUrl is invalid'));
    expect(config.status).toBe(500);
    expect(config.body.detail).not.toContain('databaseUrl');
  });

  it('adds Retry-After to temporary failures only', () => {
    expect(problemFromError(new LlmSettingsError(ErrorCodes.STORAGE_UNAVAILABLE, 'x')).headers).toEqual({ 'Retry-After': '1' });
    expect(problemFromError(new LlmSettingsError(ErrorCodes.PROBE_BUSY, 'x')).headers).toEqual({ 'Retry-After': '1' });
    expect(problemFromError(new LlmSettingsError(ErrorCodes.SETTINGS_CONFLICT, 'x')).headers).toEqual({});
  });

  it('copies validation issues into errors', () => {
    const issues = [{ path: 'provider', message: 'provider must be one of: anthropic, openai' }];
    expect(problemFromError(new ValidationError('Invalid settings', issues)).body.errors).toEqual(issues);
    expect(problemFromError(new StorageUnavailableError()).body).not.toHaveProperty('errors');
  });

  it('keeps the status, code and headers of an HttpError', () => {
    const error = new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, 'Method not allowed', 'No.', { Allow: 'GET' });
    expect(problemFromError(error)).toEqual({
      status: 405,
      headers: { Allow: 'GET' },
      body: { type: 'urn:llm-settings:problem:http.method-not-allowed', title: 'Method not allowed', status: 405, detail: 'No.', code: 'HTTP.METHOD_NOT_ALLOWED' },
    });
  });

  it.each([
    ['a plain Error', new Error('secret internals')],
    ['a string', 'secret internals'],
    ['an error with an unknown code', new LlmSettingsError('SOMETHING.NEW' as ErrorCode, 'secret internals')],
    ['an http-errors style error', Object.assign(new Error('secret internals'), { status: 418, expose: true })],
  ])('maps %s to a generic 500 that reveals nothing', (_what, thrown) => {
    const { status, body, headers } = problemFromError(thrown);
    expect(status).toBe(500);
    expect(headers).toEqual({});
    expect(body.code).toBe('INTERNAL');
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });
});
