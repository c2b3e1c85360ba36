import { describe, expect, it } from 'vitest';
import {
  ENABLED_PROVIDER_IDS,
  LlmSettingsUpdateSchema,
  LlmSettingsViewSchema,
  LlmTestCandidateSchema,
  LlmTestResultSchema,
  PROBE_CODES,
  PROVIDERS,
  ScopeSchema,
  defaultModelFor,
  isScopeName,
} from '../src/index.js';

const KEY = 'sk-ant-api03-abcdefghijklmnop';

function messages(input: unknown): string[] {
  const result = LlmSettingsUpdateSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.message);
}

describe('provider registry', () => {
  it('enables exactly anthropic and openai', () => {
    expect(ENABLED_PROVIDER_IDS).toEqual(['anthropic', 'openai']);
    expect(PROVIDERS.every((p) => p.displayName.length > 0)).toBe(true);
  });

  it('has the documented default models', () => {
    expect(defaultModelFor('anthropic')).toBe('claude-sonnet-4-20250514');
    expect(defaultModelFor('openai')).toBe('gpt-4o');
  });
});

describe('LlmSettingsUpdate', () => {
  it('accepts provider alone, with a key, and with a model', () => {
    expect(LlmSettingsUpdateSchema.parse({ provider: 'openai' })).toEqual({ provider: 'openai' });
    expect(LlmSettingsUpdateSchema.parse({ provider: 'anthropic', api_key: KEY, model: 'claude-x' })).toEqual({
      provider: 'anthropic',
      api_key: KEY,
      model: 'claude-x',
    });
  });

  it('rejects an unsupported provider with a message listing the supported ones', () => {
    expect(messages({ provider: 'gemini' })).toEqual(['provider must be one of: anthropic, openai']);
    expect(messages({})).toEqual(['provider must be one of: anthropic, openai']);
  });

  it('rejects unknown fields without quoting their names, listing the fields there are', () => {
    const msgs = messages({ provider: 'openai', 'extra\u2028line': 1, 'sk-ant-api03-in-a-name': 2 });
    expect(msgs).toEqual(['body has unknown fields; the fields are: provider, api_key, model, inherit_from']);
  });

  it('refuses a model that looks like an API key, with a hint and without quoting it', () => {
    const key = 'sk-proj-Zq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8u';
    for (const model of [key, 'sk-ant-api03-x', 'gateway/sk-live', 'Zq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8uVt1oQi5x', 'a3f9c2e7b1d04f6a8e5c3b2a1f0e9d8c']) {
      const msgs = messages({ provider: 'openai', model });
      expect(msgs, model).toEqual(['model looks like an API key; put the key in api_key and a model name in model']);
    }
    expect(LlmTestCandidateSchema.safeParse({ provider: 'openai', api_key: KEY, model: key }).success).toBe(false);
  });

  it.each([
    'claude-opus-4-1-20250805',
    'gpt-4o-mini-2024-07-18',
    'ft:gpt-4o-mini-2024-07-18:my-org:custom-suffix:9ABC1234',
    'ft:gpt-3.5-turbo-0125:personal::8xYzAbCd',
    'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo',
    'deepseek-ai/DeepSeek-R1-Distill-Llama-70B',
    'accounts/fireworks/models/llama-v3p1-405b-instruct',
    'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    'task-model',
  ])('accepts the model name %s', (model) => {
    expect(messages({ provider: 'openai', model })).toEqual([]);
  });

  it('rejects non-object bodies', () => {
    for (const body of [null, 'x', 3, [], true]) expect(messages(body)).toEqual(['body must be a JSON object']);
  });

  it('trims the api key', () => {
    expect(LlmSettingsUpdateSchema.parse({ provider: 'openai', api_key: `  ${KEY}\n` }).api_key).toBe(KEY);
  });

  it('rejects an empty or blank api key', () => {
    expect(messages({ provider: 'openai', api_key: '' })).toEqual(['api_key must not be empty']);
    expect(messages({ provider: 'openai', api_key: '   ' })).toEqual(['api_key must not be empty']);
  });

  it('rejects inner whitespace and non-printable or non-ASCII characters', () => {
    for (const key of ['sk-abc def', 'sk-abc\tdef', 'sk-abc\u0000def', 'sk-abcé', 'sk-\u007f']) {
      expect(messages({ provider: 'openai', api_key: key })).toEqual(['api_key must be printable ASCII without whitespace']);
    }
  });

  it('accepts a 512-character key and rejects a 513-character one', () => {
    expect(messages({ provider: 'openai', api_key: 'k'.repeat(512) })).toEqual([]);
    expect(messages({ provider: 'openai', api_key: 'k'.repeat(513) })).toEqual(['api_key must be at most 512 characters for OpenAI']);
  });

  it('rejects mask-looking keys and says to send the real key or omit it', () => {
    for (const key of ['...abcd', '...', 'sk-****abcd', 'sk-••••abcd']) {
      const [message] = messages({ provider: 'openai', api_key: key });
      expect(message).toContain('send the real key');
      expect(message).toContain('omit api_key');
    }
  });

  it('never quotes the key in an error message', () => {
    const secret = 'sk-secret value-1234567890';
    const all = messages({ provider: 'openai', api_key: secret }).join(' ');
    expect(all).not.toContain('secret');
    expect(all).not.toContain('1234567890');
  });

  it('accepts models of 1 to 256 printable characters without whitespace', () => {
    expect(messages({ provider: 'openai', model: 'g' })).toEqual([]);
    expect(messages({ provider: 'openai', model: 'm'.repeat(256) })).toEqual([]);
    const rule = 'model must be 1 to 256 printable characters without whitespace';
    for (const model of ['', 'm'.repeat(257), 'gpt 4o', 'gpt-4o\n', 'gpt-4ö']) {
      expect(messages({ provider: 'openai', model })).toEqual([rule]);
    }
    expect(messages({ provider: 'openai', model: 4 })).toEqual(['model must be a string']);
  });
});

describe('LlmTestCandidate', () => {
  it('requires an api key and applies the same key rules', () => {
    expect(LlmTestCandidateSchema.safeParse({ provider: 'openai' }).success).toBe(false);
    expect(LlmTestCandidateSchema.safeParse({ provider: 'openai', api_key: '...abcd' }).success).toBe(false);
    expect(LlmTestCandidateSchema.parse({ provider: 'openai', api_key: ` ${KEY} ` })).toEqual({ provider: 'openai', api_key: KEY });
  });
});

describe('LlmSettingsView and LlmTestResult', () => {
  it('accept ISO 8601 or null updated_at and nothing else', () => {
    const view = { provider: 'openai', model: 'gpt-4o', api_key_set: true, api_key_masked: '...abcd', updated_at: new Date(0).toISOString(), model_verified: true, api_key_source: 'own', inherit_from: null };
    expect(LlmSettingsViewSchema.safeParse(view).success).toBe(true);
    expect(LlmSettingsViewSchema.safeParse({ ...view, updated_at: null }).success).toBe(true);
    expect(LlmSettingsViewSchema.safeParse({ ...view, updated_at: 'yesterday' }).success).toBe(false);
  });

  it('allow exactly the eight probe codes and integer or null latency', () => {
    const failures = ['invalid_api_key', 'permission_denied', 'model_not_found', 'rate_limited', 'provider_unavailable', 'timeout', 'network_error'];
    expect(PROBE_CODES).toEqual(['ok', ...failures]);
    const result = { success: true, message: 'ok', latency_ms: 12, code: 'ok' };
    expect(LlmTestResultSchema.safeParse(result).success).toBe(true);
    expect(LlmTestResultSchema.safeParse({ ...result, latency_ms: null }).success).toBe(true);
    expect(LlmTestResultSchema.safeParse({ ...result, latency_ms: 1.5 }).success).toBe(false);
    expect(LlmTestResultSchema.safeParse({ ...result, code: 'weird' }).success).toBe(false);
  });
});

describe('ScopeSchema', () => {
  // Random-looking ids are names: a UUID, a Clerk-style user id, a task id.
  const names = ['default', 'tenant-1', 'org:42', 'user@example.com', 'x'.repeat(128), '3f1c9a2e-7b4d-4e8f-9a6b-2c5d8e1f0a3b', 'user_2NNEqL2nrIRdJ194ndJqAHwEfxC', 'desk-7', 'task-42'];
  const keys = ['sk-ant-api03-abcdefghijklmnop', 'sk-proj-Zq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8u', 'SK-live-1', 'user.sk-abc', 'team:sk-x'];
  const notNames = ['', '-x', 'a b', 'x'.repeat(129), 'a/b', 'a\n', 'é', 42, null, undefined, ['a'], ...keys];

  it('accepts short safe names and rejects others', () => {
    for (const scope of names) expect(ScopeSchema.safeParse(scope).success, scope).toBe(true);
    for (const scope of notNames) expect(ScopeSchema.safeParse(scope).success, String(scope)).toBe(false);
  });

  it('refuses a key given as a scope or as inherit_from in words of its own, without quoting it', () => {
    for (const key of keys) {
      expect(ScopeSchema.safeParse(key).error?.issues.map((i) => i.message)).toEqual(['scope looks like an API key; a scope names a user, team or tenant']);
      expect(messages({ inherit_from: key })).toEqual(['inherit_from looks like an API key; a scope names a user, team or tenant']);
    }
  });

  it('isScopeName - decides as the schema does', () => {
    for (const scope of [...names, ...notNames]) expect(isScopeName(scope)).toBe(ScopeSchema.safeParse(scope).success);
  });
});
