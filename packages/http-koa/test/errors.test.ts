import {
  ConflictError,
  DecryptionError,
  LlmSettingsService,
  StorageUnavailableError,
  DEFAULT_SCOPE,
} from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe, settingsKeyFor } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProblemDetails } from '../src/index.js';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, wrapStore, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PROBLEM_TYPE = /^application\/problem\+json/;

describe('routing problems', () => {
  it('answers unknown paths with a 404 problem', async () => {
    server = await startServer();
    for (const path of ['/', '/api', '/api/settings', '/api/settings/llm/other', '/api/settings/anthropic', '/HEALTHZ', '/api/settings/llm/']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toMatch(PROBLEM_TYPE);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        type: 'urn:llm-settings:problem:http.not-found',
        title: 'Not found',
        status: 404,
        detail: expect.any(String),
        code: 'HTTP.NOT_FOUND',
      });
    }
  });

  it.each([
    ['POST', '/api/settings/llm', ['DELETE', 'GET', 'HEAD', 'PUT']],
    ['PATCH', '/api/settings/llm', ['DELETE', 'GET', 'HEAD', 'PUT']],
    ['OPTIONS', '/api/settings/llm', ['DELETE', 'GET', 'HEAD', 'PUT']],
    ['GET', '/api/settings/llm/test', ['POST']],
    ['PUT', '/api/settings/llm/test', ['POST']],
    ['DELETE', '/healthz', ['GET', 'HEAD']],
    ['POST', '/api/openapi.json', ['GET', 'HEAD']],
  ])('answers %s %s with 405 and an Allow header', async (method, path, allowed) => {
    server = await startServer();
    const response = await fetch(`${server.url}${path}`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toMatch(PROBLEM_TYPE);
    const allow = response.headers.get('allow')!.split(',').map((m) => m.trim()).sort();
    expect(allow).toEqual(allowed);
    expect(await response.json()).toMatchObject({ status: 405, code: 'HTTP.METHOD_NOT_ALLOWED' });
  });
});

/** A store where every write with an expected version loses, as if another writer always won. */
function storeLosingEveryCompareAndSet() {
  const inner = createMemorySettingsStore();
  return wrapStore(inner, {
    async set(key, value, options) {
      if (options?.expectedVersion !== undefined) throw new ConflictError();
      return inner.set(key, value, options);
    },
  });
}

describe('service failures', () => {
  it('answers 409 SETTINGS.CONFLICT when writes keep losing the compare-and-set', async () => {
    server = await startServer({ store: storeLosingEveryCompareAndSet() });
    const settingsUrl = `${server.url}/api/settings/llm`;
    expect((await fetch(settingsUrl, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }))).status).toBe(200);
    // Keeping the stored key is a read-modify-write that needs the compare-and-set.
    const response = await fetch(settingsUrl, jsonRequest('PUT', { provider: 'openai', model: 'gpt-4.1' }));
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      type: 'urn:llm-settings:problem:settings.conflict',
      code: 'SETTINGS.CONFLICT',
      detail: new ConflictError().message,
    });
  });

  it('answers 412, not 409, when a conditional write loses the compare-and-set', async () => {
    server = await startServer({ store: storeLosingEveryCompareAndSet() });
    const settingsUrl = `${server.url}/api/settings/llm`;
    const tag = (await fetch(settingsUrl, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }))).headers.get('etag')!;
    const response = await fetch(settingsUrl, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': tag }));
    expect(response.status).toBe(412);
  });

  it('answers 409 CRYPTO.UNDECRYPTABLE with core\'s message when the encryption key changed', async () => {
    const store = createMemorySettingsStore();
    const before = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['old key'] }), probe: createScriptedProbe() });
    await before.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    server = await startServer({ store, cipher: createMemoryCipher({ keys: ['new key'] }) });

    const response = await fetch(`${server.url}/api/settings/llm`);
    expect(response.status).toBe(409);
    const problem = (await response.json()) as ProblemDetails;
    expect(problem).toMatchObject({ title: 'Encryption key mismatch', code: 'CRYPTO.UNDECRYPTABLE', type: 'urn:llm-settings:problem:crypto.undecryptable' });
    expect(problem.detail).toMatch(/encryption key does not match/);

    const tested = await fetch(`${server.url}/api/settings/llm/test`, { method: 'POST' });
    expect(tested.status).toBe(409);
    expect(await tested.json()).toMatchObject({ code: 'CRYPTO.UNDECRYPTABLE' });

    // Saving a new key replaces what cannot be read.
    const saved = await fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }));
    expect(saved.status).toBe(200);
  });

  it('answers 409 SETTINGS.CORRUPTED when stored settings fail the integrity check', async () => {
    const store = createMemorySettingsStore();
    const cipher = createMemoryCipher({ keys: ['k'] });
    const otherScope = JSON.stringify({ provider: 'openai', model: 'gpt-4o', api_key: OPENAI_KEY, scope: 'someone-else' });
    await store.set(settingsKeyFor(DEFAULT_SCOPE), await cipher.encrypt(otherScope));
    server = await startServer({ store, cipher });
    const response = await fetch(`${server.url}/api/settings/llm`);
    expect(response.status).toBe(409);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'SETTINGS.CORRUPTED' });
    expect(text).not.toContain(OPENAI_KEY.slice(-8));
  });

  it('answers 503 with Retry-After when the storage is unavailable', async () => {
    const unavailable = () => new StorageUnavailableError('The settings storage is unavailable.', { cause: new Error('connect ECONNREFUSED 10.0.0.7:5432') });
    const store = wrapStore(createMemorySettingsStore(), {
      async get() {
        throw unavailable();
      },
      async set() {
        throw unavailable();
      },
    });
    server = await startServer({ store });
    for (const init of [{}, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }), { method: 'DELETE', headers: { 'if-match': '*' } }]) {
      const response = await fetch(`${server.url}/api/settings/llm`, init);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ status: 503, code: 'STORAGE.UNAVAILABLE', detail: 'The settings storage is unavailable.' });
      expect(text).not.toContain('ECONNREFUSED');
    }
  });

  it('answers 500 with a generic problem that reveals nothing of an unexpected error', async () => {
    const secret = 'sk-ant-api03-LEAKED0000secret1111value2222';
    const store = wrapStore(createMemorySettingsStore(), {
      async get() {
        throw new Error(`db driver exploded near password=hunter2 key=${secret}`);
      },
    });
    server = await startServer({ store });
    const response = await fetch(`${server.url}/api/settings/llm`);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(PROBLEM_TYPE);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      type: 'urn:llm-settings:problem:internal',
      title: 'Internal server error',
      status: 500,
      detail: expect.any(String),
      code: 'INTERNAL',
    });
    for (const leak of [secret, 'hunter2', 'exploded', 'Error:']) expect(text).not.toContain(leak);
    expect(text).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+/);
  });

  it('answers 500 for a value thrown that is not an Error', async () => {
    const store = wrapStore(createMemorySettingsStore(), {
      async get() {
        throw { message: 'not an error', api_key: OPENAI_KEY };
      },
    });
    server = await startServer({ store });
    const response = await fetch(`${server.url}/api/settings/llm`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'INTERNAL' });
    expect(text).not.toContain(OPENAI_KEY.slice(0, 10));
  });

  it('maps a core error thrown by a wrapping service by its code, with its message as the detail', async () => {
    server = await startServer({
      service: {
        get: async () => {
          throw new DecryptionError('custom message from a wrapper');
        },
        update: async () => {
          throw new Error('unused');
        },
        clear: async () => {},
        test: async () => ({ success: true, message: 'ok', latency_ms: 1, code: 'ok' }),
        resolve: async () => {
          throw new Error('unused');
        },
        listModels: async () => {
          throw new Error('unused');
        },
        listCandidateModels: async () => {
          throw new Error('unused');
        },
        history: async () => {
          throw new Error('unused');
        },
      },
    });
    const response = await fetch(`${server.url}/api/settings/llm`);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'CRYPTO.UNDECRYPTABLE', detail: 'custom message from a wrapper' });
  });
});
