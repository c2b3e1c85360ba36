import { describe, expect, it } from 'vitest';
import { openAiCompatible, PROVIDERS, ProviderRegistry } from '@llm-settings/core';
import { ANSWERED_REQUEST_ID_HEADER, passedResponseHeaders, upstreamRequestHeaders } from '../src/forwarded-headers.js';
import { passThroughPath, passThroughRoutes } from '../src/llm-pass-through.js';
import { buildOpenApiDocument } from '../src/openapi.js';

const KEY = 'sk-test-descriptor-key-0123456789';
const everyProvider = new ProviderRegistry({
  enabled: PROVIDERS.map((p) => p.id),
  baseUrls: { 'azure-openai': 'https://res.openai.azure.com/openai/v1' },
});
const noBetas = { allowed: new Set<string>(), dropped: () => {} };

describe.each(PROVIDERS.map((p) => [p.id, p] as const))('the %s descriptor', (_id, descriptor) => {
  it('passes back its request id and its rate-limit headers', () => {
    const upstream = { [descriptor.requestIdHeader]: 'req_0123', ...Object.fromEntries(descriptor.rateLimitHeaderPrefixes.map((prefix) => [`${prefix}limit-requests`, '60'])) };
    const passed = passedResponseHeaders(upstream, descriptor, (value) => value);
    expect(passed[ANSWERED_REQUEST_ID_HEADER[descriptor.dialect]]).toBe('req_0123');
    for (const prefix of descriptor.rateLimitHeaderPrefixes) expect(passed[`${prefix}limit-requests`]).toBe('60');
  });

  it("sends the stored key in its own header only, never the caller's credentials", () => {
    const headers = upstreamRequestHeaders({ authorization: 'Bearer app-token', 'x-api-key': 'app-token', 'api-key': 'app-token' }, descriptor, KEY, null, noBetas);
    const credentials = ['authorization', 'x-api-key', 'api-key'].filter((name) => headers[name] !== undefined);
    expect(credentials).toEqual(descriptor.auth === 'none' ? [] : [descriptor.auth === 'bearer' ? 'authorization' : descriptor.auth]);
    expect(JSON.stringify(headers)).not.toContain('app-token');
    if (descriptor.auth === 'bearer') expect(headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('is served at /api/llm/<id>/v1/..., the routes its descriptor lists', () => {
    const paths = passThroughRoutes(everyProvider)
      .filter((route) => route.provider === descriptor.id)
      .map((route) => passThroughPath(route));
    expect(paths).toEqual(descriptor.routes.map((path) => `/api/llm/${descriptor.id}${path}`));
  });
});

describe('rate-limit headers', () => {
  it("pass back under the descriptor's prefixes only, not another provider's", () => {
    const gateway = openAiCompatible({
      id: 'gw',
      displayName: 'Gateway',
      defaultBaseUrl: 'https://gw.example/v1',
      defaultModel: 'm',
      catalogue: [{ id: 'm', displayName: 'm' }],
      rateLimitHeaderPrefixes: ['x-gw-limit-'],
    });
    const upstream = { 'x-gw-limit-requests': '60', 'x-ratelimit-remaining-requests': '5', 'anthropic-ratelimit-requests-remaining': '7' };
    expect(passedResponseHeaders(upstream, gateway, (value) => value)).toEqual({ 'x-gw-limit-requests': '60' });
  });
});

describe('rate-limit header names', () => {
  const openai = everyProvider.get('openai');
  const anthropic = everyProvider.get('anthropic');
  /** Names the providers send under these prefixes (OpenAI, Groq, xAI, Azure, Cerebras, Mistral, Together, OpenRouter; Anthropic). */
  const REAL_NAMES = [
    'x-ratelimit-limit-requests',
    'x-ratelimit-remaining-tokens',
    'x-ratelimit-reset-requests',
    'x-ratelimit-limit-project-tokens',
    'x-ratelimit-remaining-tokens_usage_based',
    'x-ratelimit-limit-requests-day',
    'x-ratelimit-reset-tokens-minute',
    'x-ratelimit-remaining-req-minute',
    'x-ratelimit-limit-tokens-month',
    'x-ratelimit-tokens-query-cost',
    'x-ratelimit-limit',
    'x-ratelimit-reset',
    'anthropic-ratelimit-requests-limit',
    'anthropic-ratelimit-input-tokens-remaining',
    'anthropic-ratelimit-output-tokens-reset',
    'anthropic-ratelimit-unified-status',
    'anthropic-ratelimit-unified-5h-utilization',
    'anthropic-ratelimit-unified-7d_sonnet-reset',
    'anthropic-ratelimit-unified-fallback-percentage',
    'anthropic-ratelimit-unified-representative-claim',
    'anthropic-ratelimit-unified-overage-disabled-reason',
  ];

  it('pass when the rest of the name is made of the words the providers use there', () => {
    for (const name of REAL_NAMES) {
      const descriptor = name.startsWith('anthropic-') ? anthropic : openai;
      expect(passedResponseHeaders({ [name]: '1' }, descriptor, (value) => value), name).toEqual({ [name]: '1' });
    }
  });

  it('are left out otherwise, whatever they hold, the key not looked at', () => {
    const others = ['x-ratelimit-', 'x-ratelimit-t9wqz2lm', 'x-ratelimit-requests-t9wqz2lm', 'x-ratelimit-requestsx', 'x-ratelimit-limit--requests', 'x-ratelimit-limit-requests-', 'x-ratelimit-priority-input-tokens-limit'];
    for (const name of others) expect(passedResponseHeaders({ [name]: '1' }, openai, (value) => value), name).toEqual({});
  });
});

describe('fixed headers', () => {
  it('are sent unless the caller sent a forwarded one, and never replace the key', () => {
    const gateway = openAiCompatible({
      id: 'gw',
      displayName: 'Gateway',
      defaultBaseUrl: 'https://gw.example/v1',
      defaultModel: 'm',
      catalogue: [{ id: 'm', displayName: 'm' }],
      fixedHeaders: { 'x-title': 'llm-settings', 'anthropic-version': '2023-06-01', authorization: 'Bearer fixed' },
    });
    const headers = upstreamRequestHeaders({ 'anthropic-version': '2024-01-01' }, gateway, KEY, null, noBetas);
    expect(headers['anthropic-version']).toBe('2024-01-01');
    expect(headers['x-title']).toBe('llm-settings');
    expect(headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('the OpenAPI document', () => {
  it('follows the enabled providers: the provider enums and the pass-through paths', () => {
    const providers = new ProviderRegistry({ enabled: ['groq', 'openai'] });
    const document = buildOpenApiDocument({ providers, llm: true, bearerAuth: false });
    const schemas = document.components.schemas as Record<string, { properties: { provider: { enum: string[] } } }>;
    expect(schemas.LlmSettingsUpdate!.properties.provider.enum).toEqual(['groq', 'openai']);
    expect(schemas.LlmTestCandidate!.properties.provider.enum).toEqual(['groq', 'openai']);
    const paths = Object.keys(document.paths);
    expect(paths).toContain('/api/llm/groq/v1/chat/completions');
    expect(paths).toContain('/api/settings/llm/providers');
    expect(paths.filter((path) => path.startsWith('/api/llm/anthropic'))).toEqual([]);
  });
});
