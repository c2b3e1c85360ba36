import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDERS } from '@llm-settings/core';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { freePorts, isFree } from './ports.js';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ models: { anthropic: ['claude-test'], openai: ['gpt-test'] } });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

describe('startFakeProvider', () => {
  it('anthropic - accepts the key as x-api-key or Bearer and answers with a model object and a request-id', async () => {
    for (const headers of [{ 'x-api-key': 'k-1' }, { authorization: 'Bearer k-1' }] as Record<string, string>[]) {
      const response = await fetch(`${fake.baseUrls.anthropic}/v1/models/claude-test`, { headers });
      expect(response.status).toBe(200);
      expect(response.headers.get('request-id')).toMatch(/^req_/);
      expect(await response.json()).toMatchObject({ type: 'model', id: 'claude-test' });
    }
    expect(fake.requests.map((r) => r.apiKey)).toEqual(['k-1', 'k-1']);
  });

  it('openai - answers an unknown model with 404 and the error shape of OpenAI', async () => {
    const response = await fetch(`${fake.baseUrls.openai}/models/gpt-nope`, { headers: { authorization: 'Bearer k-2' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await response.json()).toEqual({
      error: { message: "The model 'gpt-nope' does not exist", type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });
  });

  it('answers a request without a key with 401', async () => {
    const response = await fetch(`${fake.baseUrls.anthropic}/v1/models/claude-test`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('records the body of each request: JSON parsed, other text as sent, null without one', async () => {
    const post = (body: string) =>
      fetch(`${fake.baseUrls.openai}/embeddings`, { method: 'POST', headers: { authorization: 'Bearer k-4' }, body });
    expect((await post('{"model":"gpt-test","input":"hi"}')).status).toBe(200);
    expect((await post('not json')).status).toBe(400);
    await fetch(`${fake.baseUrls.openai}/models`, { headers: { authorization: 'Bearer k-4' } });
    expect(fake.requests.map((r) => r.body)).toEqual([{ model: 'gpt-test', input: 'hi' }, 'not json', null]);
  });

  it('setBehavior - { status } answers that status with the provider\'s error shape, for every key, and records each key', async () => {
    fake.setBehavior('anthropic', { status: 502 });
    fake.setKeyBehavior('openai', 'k-6', { status: 418 });
    const anthropic = await fetch(`${fake.baseUrls.anthropic}/v1/models/claude-test`, { headers: { 'x-api-key': 'k-5' } });
    expect(anthropic.status).toBe(502);
    expect(anthropic.headers.get('request-id')).toMatch(/^req_/);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const openai = await fetch(`${fake.baseUrls.openai}/models/gpt-test`, { headers: { authorization: 'Bearer k-6' } });
    expect(openai.status).toBe(418);
    expect(await openai.json()).toMatchObject({ error: { type: 'server_error' } });
    expect(fake.requests.map((r) => [r.provider, r.apiKey])).toEqual([
      ['anthropic', 'k-5'],
      ['openai', 'k-6'],
    ]);
  });

  it('setKeyAnswerDelay - holds the answers to that key only, until reset', async () => {
    const get = (key: string) => fetch(`${fake.baseUrls.anthropic}/v1/models/claude-test`, { headers: { 'x-api-key': key } }).then((r) => [key, r.status]);
    // Each race's loser is awaited too, so that none of its requests reaches the next test.
    fake.setKeyAnswerDelay('anthropic', 'k-held', 400);
    const first = [get('k-held'), get('k-free')];
    expect(await Promise.race(first)).toEqual(['k-free', 200]);
    expect(await first[0]).toEqual(['k-held', 200]);
    fake.reset();
    fake.setKeyAnswerDelay('anthropic', 'k-free', 400);
    const second = [get('k-held'), get('k-free')];
    expect(await Promise.race(second)).toEqual(['k-held', 200]);
    expect(await second[1]).toEqual(['k-free', 200]);
    expect(() => fake.setKeyAnswerDelay('anthropic', 'k-free', -1)).toThrow(RangeError);
  });

  it('setBehavior - refuses a status Node cannot answer with', () => {
    for (const status of [99, 199, 600, 404.5, Number.NaN]) expect(() => fake.setBehavior('openai', { status })).toThrow(RangeError);
  });

  it('reset - forgets requests and behaviours', async () => {
    fake.setBehavior('openai', 'server_error');
    fake.reset();
    const response = await fetch(`${fake.baseUrls.openai}/models/gpt-test`, { headers: { authorization: 'Bearer k-3' } });
    expect(response.status).toBe(200);
    expect(fake.requestCount('openai')).toBe(1);
    expect(fake.requestCount('anthropic')).toBe(0);
  });

  it('keptRequests - requests keeps the latest ones only, oldest first; requestCount counts them all', async () => {
    const own = await startFakeProvider({ keptRequests: 3 });
    try {
      const sent = [
        ['anthropic', 'k-1'],
        ['openai', 'k-2'],
        ['anthropic', 'k-3'],
        ['openai', 'k-4'],
        ['openai', 'k-5'],
      ] as const;
      for (const [provider, key] of sent) {
        await fetch(`${own.baseUrls[provider]}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      }
      expect(own.requests.map((r) => [r.provider, r.apiKey])).toEqual(sent.slice(2));
      expect([own.requestCount(), own.requestCount('anthropic'), own.requestCount('openai')]).toEqual([5, 2, 3]);
      own.reset();
      expect([own.requests.length, own.requestCount(), own.requestCount('openai')]).toEqual([0, 0, 0]);
    } finally {
      await own.close();
    }
  });

  it('keptRequests - 0 keeps none but still counts; a count that is not an integer of 0 or more is refused', async () => {
    const own = await startFakeProvider({ keptRequests: 0 });
    try {
      await fetch(`${own.baseUrls.openai}/models`, { headers: { authorization: 'Bearer k-1' } });
      expect(own.requests).toEqual([]);
      expect(own.requestCount('openai')).toBe(1);
    } finally {
      await own.close();
    }
    for (const keptRequests of [-1, 2.5, Number.NaN, Infinity]) await expect(startFakeProvider({ keptRequests })).rejects.toThrow(RangeError);
  });

  it('requestsCarrying - finds the requests with a mark in their path, a header or the body', async () => {
    const send = (path: string, headers: Record<string, string>, body?: string) =>
      fetch(`${fake.baseUrls.openai}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: 'Bearer k-7', ...headers }, body });
    await send('/models/in-the-path', {});
    await send('/models', { 'x-mark': 'in-a-header' });
    await send('/embeddings', {}, JSON.stringify({ model: 'gpt-test', input: 'in "the" body' }));
    await send('/models', {});
    const pathsOf = (...marks: string[]) => fake.requestsCarrying(...marks).map((r) => r.path);
    expect(pathsOf('in-the-path')).toEqual(['/v1/models/in-the-path']);
    expect(pathsOf('in-a-header', 'in "the" body')).toEqual(['/v1/models', '/v1/embeddings']);
    expect(pathsOf('k-7')).toHaveLength(4);
    expect(pathsOf('nowhere')).toEqual([]);
    expect(() => fake.requestsCarrying('x', '')).toThrow(RangeError);
  });

  it('firstPort - puts the providers on that port and the ones after it, and frees them all when one is taken', async () => {
    const first = await freePorts(PROVIDERS.length);
    const own = await startFakeProvider({ firstPort: first });
    expect(Object.values(own.baseUrls).map((url) => Number(new URL(url).port))).toEqual(PROVIDERS.map((_, index) => first + index));
    await own.close();

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(first + 2, '127.0.0.1', resolve));
    try {
      await expect(startFakeProvider({ firstPort: first })).rejects.toThrow('EADDRINUSE');
      expect(await isFree(first)).toBe(true);
      expect(await isFree(first + 1)).toBe(true);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('close - ends even while a request hangs', async () => {
    const own = await startFakeProvider();
    own.setBehavior('anthropic', 'hang');
    const pending = fetch(`${own.baseUrls.anthropic}/v1/models/x`, { headers: { 'x-api-key': 'k' } }).catch((e: unknown) => e);
    while (own.requestCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await own.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
