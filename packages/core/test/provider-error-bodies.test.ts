import { describe, expect, it } from 'vitest';
import { PROVIDERS, providerErrorBody, providerErrorObject, type ProviderDialect } from '../src/index.js';

/**
 * Each dialect's bodies as the wire carries them (JSON text, members in order): the SDKs
 * parse these, and the adapters' answers are compared to them byte for byte.
 */
const EXPECTED: Readonly<Record<ProviderDialect, ReadonlyArray<{ status: number; code: string | null; json: string }>>> = {
  anthropic: [
    { status: 401, code: null, json: '{"type":"error","error":{"type":"authentication_error","message":"m"}}' },
    { status: 403, code: null, json: '{"type":"error","error":{"type":"permission_error","message":"m"}}' },
    { status: 404, code: null, json: '{"type":"error","error":{"type":"not_found_error","message":"m"}}' },
    { status: 408, code: null, json: '{"type":"error","error":{"type":"timeout_error","message":"m"}}' },
    { status: 409, code: null, json: '{"type":"error","error":{"type":"conflict_error","message":"m"}}' },
    { status: 413, code: null, json: '{"type":"error","error":{"type":"request_too_large","message":"m"}}' },
    { status: 429, code: 'HTTP.TOO_MANY_REQUESTS', json: '{"type":"error","error":{"type":"rate_limit_error","message":"m","details":{"error_code":"HTTP.TOO_MANY_REQUESTS"}}}' },
    { status: 400, code: 'VALIDATION.INVALID_INPUT', json: '{"type":"error","error":{"type":"invalid_request_error","message":"m","details":{"error_code":"VALIDATION.INVALID_INPUT"}}}' },
    { status: 502, code: null, json: '{"type":"error","error":{"type":"api_error","message":"m"}}' },
    { status: 503, code: null, json: '{"type":"error","error":{"type":"overloaded_error","message":"m"}}' },
    { status: 504, code: null, json: '{"type":"error","error":{"type":"timeout_error","message":"m"}}' },
    { status: 529, code: null, json: '{"type":"error","error":{"type":"overloaded_error","message":"m"}}' },
  ],
  openai: [
    { status: 401, code: 'invalid_api_key', json: '{"error":{"message":"m","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}' },
    { status: 429, code: 'HTTP.TOO_MANY_REQUESTS', json: '{"error":{"message":"m","type":"invalid_request_error","param":null,"code":"HTTP.TOO_MANY_REQUESTS"}}' },
    { status: 413, code: null, json: '{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}' },
    { status: 502, code: null, json: '{"error":{"message":"m","type":"server_error","param":null,"code":null}}' },
    { status: 503, code: 'HTTP.SERVICE_UNAVAILABLE', json: '{"error":{"message":"m","type":"server_error","param":null,"code":"HTTP.SERVICE_UNAVAILABLE"}}' },
  ],
};

describe("providerErrorBody: the providers' error shapes", () => {
  for (const [dialect, cases] of Object.entries(EXPECTED) as [ProviderDialect, (typeof EXPECTED)[ProviderDialect]][]) {
    it.each(cases)(`${dialect}: HTTP $status with code $code`, ({ status, code, json }) => {
      expect(JSON.stringify(providerErrorBody(dialect, status, 'm', code))).toBe(json);
    });

    it(`${dialect}: the body's error member is providerErrorObject's`, () => {
      for (const { status, code } of cases) {
        const body = providerErrorBody(dialect, status, 'm', code) as { error: unknown };
        expect(body.error).toEqual(providerErrorObject(dialect, status, 'm', code));
      }
    });
  }

  it('covers the dialect of every built-in provider', () => {
    const dialects = new Set(PROVIDERS.map((provider) => provider.dialect));
    expect([...dialects].sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});
