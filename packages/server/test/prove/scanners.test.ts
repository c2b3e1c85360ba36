import { describe, expect, it } from 'vitest';
import { answerIssues } from './support/answers.js';
import type { Exchange } from './support/http-client.js';
import { findLeaks } from './support/leaks.js';

/* The secret scan and the answer checks the suites rely on, shown to catch what they claim. */

const SECRET = 'sk-ABCDEFGHIJKLMNOP';

describe('leak scan', () => {
  it('finds any 8 consecutive characters of a secret, in text and in raw bytes', () => {
    expect(findLeaks({ key: SECRET }, { log: 'x DEFGHIJK y' })).toEqual([{ secret: 'key', source: 'log', at: 2 }]);
    expect(findLeaks({ key: SECRET }, { file: Buffer.from(`\u0000\u0001${SECRET.slice(-8)}`, 'latin1') })).toHaveLength(1);
  });

  it('ignores runs shorter than 8 characters', () => {
    expect(findLeaks({ key: SECRET }, { log: `...${SECRET.slice(-4)} ${SECRET.slice(3, 10)}` })).toEqual([]);
  });
});

describe('answer checks', () => {
  const exchange = (status: number, body: unknown, headers: Record<string, string> = {}, method = 'GET'): Exchange =>
    ({ method, path: '/api/settings/llm', status, headers, rawHeaders: '', text: JSON.stringify(body), ms: 1, json: () => body }) as Exchange;
  const problem = { type: 'urn:llm-settings:problem:http.not-found', title: 'Not found', status: 404, detail: 'No resource exists at this path.', code: 'HTTP.NOT_FOUND' };

  it('accepts a well-formed problem and refuses incomplete or mislabelled ones', () => {
    expect(answerIssues(exchange(404, problem, { 'content-type': 'application/problem+json' }))).toEqual([]);
    expect(answerIssues(exchange(404, problem, { 'content-type': 'application/json' }))).not.toEqual([]);
    expect(answerIssues(exchange(404, { ...problem, code: undefined }, { 'content-type': 'application/problem+json' }))).not.toEqual([]);
    expect(answerIssues(exchange(400, problem, { 'content-type': 'application/problem+json' }))).toContain('status differs from the HTTP status');
    expect(answerIssues(exchange(404, { ...problem, stack: 'Error at x' }, { 'content-type': 'application/problem+json' }))).not.toEqual([]);
  });

  it("accepts the provider's error object on the LLM pass-through only, with the problem's detail and code", () => {
    const headers = { 'content-type': 'application/problem+json' };
    const onPassThrough = (body: unknown) => ({ ...exchange(404, body, headers), path: '/api/llm/openai/v1/files' }) as Exchange;
    const openai = { message: problem.detail, type: 'invalid_request_error', param: null, code: problem.code };
    const anthropic = { type: 'not_found_error', message: problem.detail, details: { error_code: problem.code } };
    expect(answerIssues(onPassThrough({ ...problem, error: openai }))).toEqual([]);
    expect(answerIssues(onPassThrough({ ...problem, error: anthropic }))).toEqual([]);
    expect(answerIssues(exchange(404, { ...problem, error: openai }, headers))).toEqual(['error object']);
    expect(answerIssues(onPassThrough({ ...problem, error: { ...openai, message: 'other' } }))).toEqual(['error object']);
  });

  it('refuses any 5xx unless allowed, and a view carrying more than the public fields', () => {
    expect(answerIssues(exchange(500, { ...problem, status: 500, code: 'INTERNAL' }, { 'content-type': 'application/problem+json' }))).toEqual(['server error 500']);
    const view = { provider: 'openai', model: 'gpt-4o', api_key_set: true, api_key_masked: '...abcd', updated_at: null, model_verified: true, api_key_source: 'own', inherit_from: null };
    expect(answerIssues(exchange(200, view, { 'content-type': 'application/json', etag: '"1-a"' }))).toEqual([]);
    expect(answerIssues(exchange(200, { ...view, api_key: SECRET }, { 'content-type': 'application/json', etag: '"1-a"' }))).not.toEqual([]);
  });

  it('accepts a model list on its route only, and refuses one carrying more than its fields', () => {
    const json = { 'content-type': 'application/json' };
    const models = [{ id: 'gpt-4o', display_name: 'GPT-4o', default: true }];
    const live = { provider: 'openai', source: 'live', models };
    const fallback = { provider: 'openai', source: 'catalogue', models, reason: 'invalid_api_key', message: 'OpenAI rejected the API key.' };
    const onModels = (body: unknown) => ({ ...exchange(200, body, json), path: '/api/settings/llm/models' }) as Exchange;
    expect(answerIssues(onModels(live))).toEqual([]);
    expect(answerIssues(onModels(fallback))).toEqual([]);
    expect(answerIssues(exchange(200, live, json))).toEqual(['model list from another route']);
    expect(answerIssues(onModels({ ...live, api_key: SECRET }))).not.toEqual([]);
    expect(answerIssues(onModels({ ...fallback, reason: 'because' }))).not.toEqual([]);
    expect(answerIssues(onModels({ ...live, models: [{ ...models[0], api_key: SECRET }] }))).not.toEqual([]);
  });
});
