import { LlmTestResultSchema, ProbeBusyError, type ProbeOutcome, type ProbeRequest } from '@llm-settings/core';
import { createScriptedProbe, type ScriptedProbe } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProblemDetails } from '../src/index.js';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(probe: ScriptedProbe): Promise<{ testUrl: string; settingsUrl: string }> {
  server = await startServer({ probe });
  return { testUrl: `${server.url}/api/settings/llm/test`, settingsUrl: `${server.url}/api/settings/llm` };
}

describe('POST /api/settings/llm/test', () => {
  it('tests the candidate in the body and stores nothing', async () => {
    const probe = createScriptedProbe(() => ({ code: 'invalid_api_key', message: 'The API key was rejected.', latencyMs: 12.6 }));
    const { testUrl, settingsUrl } = await start(probe);
    const response = await fetch(testUrl, jsonRequest('POST', { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o-mini' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(LlmTestResultSchema.parse(await response.json())).toEqual({
      success: false,
      message: 'The API key was rejected.',
      latency_ms: 13,
      code: 'invalid_api_key',
    });
    expect(probe.calls).toHaveLength(1);
    expect(probe.calls[0]).toMatchObject({ provider: 'openai', apiKey: OPENAI_KEY, model: 'gpt-4o-mini' });
    expect((await fetch(settingsUrl)).headers.get('etag')).toBe('"0"');
  });

  it.each([
    ['no body', {}],
    ['an empty JSON body', { headers: { 'content-type': 'application/json' }, body: '' }],
    ['an empty JSON object', { headers: { 'content-type': 'application/json' }, body: '{}' }],
  ])('tests the stored settings when given %s', async (_what, init) => {
    const probe = createScriptedProbe();
    const { testUrl, settingsUrl } = await start(probe);
    await fetch(settingsUrl, jsonRequest('PUT', { provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'claude-x' }));
    const etagBefore = (await fetch(settingsUrl)).headers.get('etag');

    const response = await fetch(testUrl, { method: 'POST', ...init });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, code: 'ok' });
    expect(probe.calls).toEqual([expect.objectContaining({ provider: 'anthropic', apiKey: ANTHROPIC_KEY, model: 'claude-x' })]);
    expect((await fetch(settingsUrl)).headers.get('etag')).toBe(etagBefore);
  });

  it('answers 409 SETTINGS.NOT_CONFIGURED when nothing is stored and no body is sent', async () => {
    const probe = createScriptedProbe();
    const { testUrl } = await start(probe);
    const response = await fetch(testUrl, { method: 'POST' });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 409, code: 'SETTINGS.NOT_CONFIGURED', type: 'urn:llm-settings:problem:settings.not-configured' });
    expect(probe.calls).toHaveLength(0);
  });

  it.each([
    ['a candidate without a key', { provider: 'openai' }, 'api_key'],
    ['an unsupported provider', { provider: 'gemini', api_key: OPENAI_KEY }, 'provider'],
    ['an unknown field', { provider: 'openai', api_key: OPENAI_KEY, store: true }, '(body)'],
  ])('refuses %s with 400 and calls no provider', async (_what, body, path) => {
    const probe = createScriptedProbe();
    const { testUrl } = await start(probe);
    const response = await fetch(testUrl, jsonRequest('POST', body));
    expect(response.status).toBe(400);
    expect(((await response.json()) as ProblemDetails).errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(probe.calls).toHaveLength(0);
  });

  it('refuses a non-JSON body with 415', async () => {
    const probe = createScriptedProbe();
    const { testUrl } = await start(probe);
    const response = await fetch(testUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'provider=openai' });
    expect(response.status).toBe(415);
    expect(probe.calls).toHaveLength(0);
  });

  it('refuses a body over maxBodyBytes with 413', async () => {
    const probe = createScriptedProbe();
    const { testUrl } = await start(probe);
    const response = await fetch(testUrl, jsonRequest('POST', { provider: 'openai', api_key: OPENAI_KEY, model: 'x'.repeat(17_000) }));
    expect(response.status).toBe(413);
    expect(probe.calls).toHaveLength(0);
  });

  it('answers 429 with Retry-After when the probe is busy', async () => {
    const { testUrl } = await start(
      createScriptedProbe(() => {
        throw new ProbeBusyError();
      }),
    );
    const response = await fetch(testUrl, jsonRequest('POST', { provider: 'openai', api_key: OPENAI_KEY }));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ code: 'PROBE.BUSY', detail: new ProbeBusyError().message });
  });

  it('aborts the probe signal when the client disconnects', async () => {
    let started!: () => void;
    const probeStarted = new Promise<void>((resolve) => (started = resolve));
    let aborted!: (request: ProbeRequest) => void;
    const probeAborted = new Promise<ProbeRequest>((resolve) => (aborted = resolve));
    const probe = createScriptedProbe(
      (request) =>
        new Promise<ProbeOutcome>((resolve) => {
          request.signal?.addEventListener('abort', () => {
            aborted(request);
            resolve({ code: 'timeout', message: 'Aborted.', latencyMs: null });
          });
          started();
        }),
    );
    const { testUrl } = await start(probe);
    const client = new AbortController();
    const pending = fetch(testUrl, { ...jsonRequest('POST', { provider: 'openai', api_key: OPENAI_KEY }), signal: client.signal });
    await probeStarted;
    expect(probe.calls[0]!.signal?.aborted).toBe(false);
    client.abort();
    await expect(pending).rejects.toThrow();
    const request = await probeAborted;
    expect(request.signal?.aborted).toBe(true);
  });
});
