import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, defaultModelFor, isLlmSettingsError, ProviderRegistry, type ProbeCode } from '@llm-settings/core';
import { createProviderProbe } from '@llm-settings/provider-probe';
import { openAiKeyEcho, startFakeProvider, type FakeBehavior, type FakeProvider } from '@llm-settings/fake-provider';
import { PROVIDER_IDS, captureLogger, closedPort, credentialHeaders, keyFor, keyRunsIn, startWebPage } from './helpers.js';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

const ANSWERED: ReadonlyArray<{ behavior: FakeBehavior; code: ProbeCode; message: RegExp }> = [
  { behavior: 'ok', code: 'ok', message: /accepted the API key and the model is available\.$/ },
  { behavior: 'unauthorized', code: 'invalid_api_key', message: /rejected the API key/ },
  { behavior: 'forbidden', code: 'permission_denied', message: /denied it access/ },
  { behavior: 'not_found', code: 'model_not_found', message: /accepted the API key, but does not have the model\.$/ },
  { behavior: 'rate_limited', code: 'rate_limited', message: /accepted the API key but is rate limiting it/ },
  { behavior: 'server_error', code: 'provider_unavailable', message: /unavailable right now \(HTTP 500\)/ },
  { behavior: 'overloaded', code: 'provider_unavailable', message: /overloaded right now \(HTTP 529\)/ },
];

describe.each(PROVIDER_IDS)('createProviderProbe with %s', (provider) => {
  const name = provider === 'anthropic' ? 'Anthropic' : 'OpenAI';
  const model = defaultModelFor(provider);

  it.each(ANSWERED)('probe - a "$behavior" answer yields $code with our own message', async ({ behavior, code, message }) => {
    fake.setBehavior(provider, behavior);
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey: keyFor(provider), model });
    expect(outcome.code).toBe(code);
    expect(outcome.message).toMatch(new RegExp(`^${name} `));
    expect(outcome.message).toMatch(message);
    expect(outcome.requestId).toMatch(/^req_[0-9a-zA-Z]+$/);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('probe - a failure message quotes neither the provider body, its request id nor the model', async () => {
    fake.setBehavior(provider, 'not_found');
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey: keyFor(provider), model });
    expect(outcome.requestId).toMatch(/^req_/);
    expect(outcome.message).not.toContain(outcome.requestId!);
    expect(outcome.message).not.toContain(model);
    expect(outcome.message).not.toMatch(/does not exist|not_found_error|model: /);
  });

  it('probe - a valid key with an unknown model says the key was accepted', async () => {
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey: keyFor(provider), model: 'gpt-0-nonexistent' });
    expect(outcome).toMatchObject({ code: 'model_not_found' });
    expect(outcome.message).toBe(`${name} accepted the API key, but does not have the model.`);
  });

  it.each(['server_error', 'rate_limited', 'overloaded'] as const)('probe - makes exactly one call when the provider answers %s (no retries)', async (behavior) => {
    fake.setBehavior(provider, behavior);
    await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey: keyFor(provider), model });
    expect(fake.requestCount(provider)).toBe(1);
  });

  it('probe - a hanging provider yields timeout within the factory timeoutMs + 250 ms', async () => {
    fake.setBehavior(provider, 'hang');
    const probe = createProviderProbe({ baseUrls: fake.baseUrls, timeoutMs: 200 });
    const started = performance.now();
    const outcome = await probe.probe({ provider, apiKey: keyFor(provider), model });
    expect(performance.now() - started).toBeLessThanOrEqual(200 + 250);
    expect(outcome.code).toBe('timeout');
    expect(outcome.message).toBe(`${name} did not answer within 200 ms.`);
  });

  it('probe - a redirect is not followed and yields provider_unavailable', async () => {
    fake.setBehavior(provider, 'redirect');
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey: keyFor(provider), model });
    expect(outcome.code).toBe('provider_unavailable');
    expect(outcome.message).toMatch(/redirect \(HTTP 307\), which is not followed/);
    expect(fake.requests.filter((r) => r.provider === provider && !r.redirected)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.redirected)).toHaveLength(0);
  });

  it('probe - a dropped connection yields network_error', async () => {
    fake.setBehavior(provider, 'drop');
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey: keyFor(provider), model });
    expect(outcome).toMatchObject({ code: 'network_error', message: `Could not connect to ${name}.`, requestId: null });
  });

  it('probe - a refused connection yields network_error, and its system code goes to the log only', async () => {
    const port = await closedPort();
    const baseUrls = { anthropic: `http://127.0.0.1:${port}`, openai: `http://127.0.0.1:${port}/v1` };
    const { logger, lines } = captureLogger();
    const outcome = await createProviderProbe({ baseUrls, logger }).probe({ provider, apiKey: keyFor(provider), model });
    expect(outcome.code).toBe('network_error');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(outcome)).not.toContain('ECONNREFUSED');
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      { level: 'warn', fields: { provider, reason: 'ECONNREFUSED' }, message: 'provider probe could not reach the provider' },
    ]);
  });

  it('probe - an already aborted signal makes no call and reports no latency', async () => {
    const apiKey = keyFor(provider);
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey, model, signal: AbortSignal.abort() });
    expect(outcome).toMatchObject({ code: 'timeout', latencyMs: null });
    expect(outcome.message).toMatch(/cancelled/);
    // By its key: another test file's requests can reach a port the fake took over.
    expect(fake.requestsCarrying(apiKey)).toEqual([]);
  });

  it.each(['.', '..', '..;x', ''])('probe - the model id %j, which cannot be put in a URL, yields model_not_found without a call', async (badModel) => {
    const apiKey = keyFor(provider);
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey, model: badModel });
    expect(outcome).toMatchObject({ code: 'model_not_found', latencyMs: null });
    expect(fake.requestsCarrying(apiKey)).toEqual([]);
  });

  it('probe - sends exactly the configured key and no other credential', async () => {
    const apiKey = keyFor(provider);
    await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey, model });
    const [sent] = fake.requests;
    expect(sent?.apiKey).toBe(apiKey);
    expect(credentialHeaders(sent?.headers ?? {})).toEqual(expect.arrayContaining([expect.any(String)]));
    for (const value of credentialHeaders(sent?.headers ?? {})) expect([apiKey, `Bearer ${apiKey}`]).toContain(value);
  });

  it('probe - a key with its own failing behaviour fails while another key passes', async () => {
    const badKey = keyFor(provider);
    fake.setKeyBehavior(provider, badKey, 'unauthorized');
    const probe = createProviderProbe({ baseUrls: fake.baseUrls });
    expect((await probe.probe({ provider, apiKey: badKey, model })).code).toBe('invalid_api_key');
    expect((await probe.probe({ provider, apiKey: keyFor(provider), model })).code).toBe('ok');
  });
});

describe('a base URL that reaches no API', () => {
  it.each(['anthropic', 'openai', 'openrouter'] as const)('probe - a 200 web page at %s\'s base URL is provider_unavailable, never ok', async (provider) => {
    const page = await startWebPage();
    try {
      const baseUrls = { [provider]: provider === 'anthropic' ? page.url : `${page.url}/v1` };
      const providers = new ProviderRegistry({ enabled: [provider], baseUrls });
      const outcome = await createProviderProbe({ providers }).probe({ provider, apiKey: keyFor('openai'), model: defaultModelFor(provider) });
      expect(outcome.code).toBe('provider_unavailable');
      expect(outcome.message).toMatch(/answered \(HTTP 200\), but not as its API does; check the configured base URL\.$/);
    } finally {
      await page.close();
    }
  });
});

describe('key fragments', () => {
  it("the fake's OpenAI 401 quotes the key like OpenAI does, and the SDK passes it on", async () => {
    const apiKey = keyFor('openai');
    fake.setBehavior('openai', 'unauthorized');
    const client = new OpenAI({ apiKey, baseURL: fake.baseUrls.openai, maxRetries: 0, logLevel: 'off' });
    const error = await client.models.retrieve('gpt-4o').catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain(`Incorrect API key provided: ${openAiKeyEcho(apiKey)}.`);
    expect(openAiKeyEcho(apiKey)).toMatch(/^sk-proj-\*+QZXW$/);
  });

  it('no outcome and no log line carries the key, a run of it or its masked echo, whatever the provider answers', async () => {
    const { logger, lines } = captureLogger();
    const probe = createProviderProbe({ baseUrls: fake.baseUrls, logger, timeoutMs: 200 });
    const behaviors: FakeBehavior[] = ['ok', 'unauthorized', 'forbidden', 'not_found', 'rate_limited', 'server_error', 'overloaded', 'hang', 'drop', 'redirect'];
    for (const provider of PROVIDER_IDS) {
      for (const behavior of behaviors) {
        const apiKey = keyFor(provider);
        fake.setBehavior(provider, behavior);
        const outcome = await probe.probe({ provider, apiKey, model: defaultModelFor(provider) });
        const said = JSON.stringify(outcome) + JSON.stringify(lines);
        expect(keyRunsIn(said, apiKey)).toEqual([]);
        expect(said).not.toContain(apiKey.slice(-4));
      }
    }
    // One line a probe, and a warning with the system code of each dropped connection.
    expect(lines).toHaveLength(PROVIDER_IDS.length * (behaviors.length + 1));
  });

  it('a model name that contains the key is scrubbed from the outcome and the log', async () => {
    const { logger, lines } = captureLogger();
    const apiKey = keyFor('anthropic');
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls, logger }).probe({ provider: 'anthropic', apiKey, model: `x${apiKey}` });
    expect(outcome.code).toBe('model_not_found');
    expect(keyRunsIn(JSON.stringify(outcome) + JSON.stringify(lines), apiKey)).toEqual([]);
  });
});

describe('logging', () => {
  it('logs one debug line per probe with provider, code, latency and request id, never the model', async () => {
    const { logger, lines } = captureLogger();
    fake.setBehavior('openai', 'rate_limited');
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls, logger }).probe({ provider: 'openai', apiKey: keyFor('openai'), model: 'gpt-4o' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'debug',
      fields: { provider: 'openai', code: 'rate_limited', latency_ms: expect.any(Number), request_id: outcome.requestId, shared: false },
    });
    expect(JSON.stringify(lines)).not.toContain('gpt-4o');
  });
});

describe('concurrency', () => {
  it('probe - beyond maxInFlight distinct calls, throws ProbeBusyError; an identical probe still joins', async () => {
    fake.setBehavior('anthropic', 'hang');
    const probe = createProviderProbe({ baseUrls: fake.baseUrls, maxInFlight: 2 });
    const controller = new AbortController();
    const model = defaultModelFor('anthropic');
    const first = { provider: 'anthropic' as const, apiKey: keyFor('anthropic'), model, signal: controller.signal };
    const running = [probe.probe(first), probe.probe({ ...first, apiKey: keyFor('anthropic') })];

    const busy = await probe.probe({ ...first, apiKey: keyFor('anthropic') }).catch((e: unknown) => e);
    expect(isLlmSettingsError(busy, ErrorCodes.PROBE_BUSY)).toBe(true);
    expect((busy as Error).name).toBe('ProbeBusyError');
    running.push(probe.probe({ ...first }));

    controller.abort();
    expect((await Promise.all(running)).map((o) => o.code)).toEqual(['timeout', 'timeout', 'timeout']);
    fake.setBehavior('anthropic', 'ok');
    expect((await probe.probe({ ...first, apiKey: keyFor('anthropic'), signal: undefined })).code).toBe('ok');
  });

  it('probe - a caller that gives up does not cancel the call another identical probe waits for', async () => {
    fake.setBehavior('openai', 'hang');
    const probe = createProviderProbe({ baseUrls: fake.baseUrls });
    const leaving = new AbortController();
    const request = { provider: 'openai' as const, apiKey: keyFor('openai'), model: 'gpt-4o' };
    const first = probe.probe({ ...request, signal: leaving.signal });
    const second = probe.probe({ ...request, timeoutMs: 400 });
    setTimeout(() => leaving.abort(), 50);
    expect((await first).message).toMatch(/cancelled/);
    expect(await second).toMatchObject({ code: 'timeout', message: 'OpenAI did not answer within 400 ms.' });
    expect(fake.requestCount('openai')).toBe(1);
  });
});

describe('options', () => {
  it.each([
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ maxInFlight: 0 }, 'maxInFlight'],
    [{ maxInFlight: 1.5 }, 'maxInFlight'],
    [{ baseUrls: { openai: 'ftp://user:s3cret@example.com/v1' } }, 'baseUrls.openai'],
    [{ baseUrls: { anthropic: 'not a url' } }, 'baseUrls.anthropic'],
    // The SDKs append paths to the root as text: a query or fragment swallows them, credentials are quoted in errors.
    [{ baseUrls: { openai: 'https://user:s3cret@example.com/v1' } }, 'baseUrls.openai'],
    [{ baseUrls: { openai: 'https://example.com/v1?api-version=s3cret' } }, 'baseUrls.openai'],
    [{ baseUrls: { anthropic: 'https://example.com#s3cret' } }, 'baseUrls.anthropic'],
  ])('createProviderProbe(%j) throws a ConfigError naming %s and not the value', (options, option) => {
    const error = (() => {
      try {
        createProviderProbe(options);
      } catch (e) {
        return e;
      }
    })();
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    expect((error as Error).message).toContain(option);
    expect((error as Error).message).not.toMatch(/s3cret|not a url|ftp/);
  });

  it('probe - rejects a provider it has no SDK for with a ValidationError', async () => {
    const probe = createProviderProbe({ baseUrls: fake.baseUrls });
    const error = await probe.probe({ provider: 'mistral' as 'openai', apiKey: keyFor('openai'), model: 'm' }).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT)).toBe(true);
  });

  it('probe - rejects a timeoutMs that is not a positive number with a ValidationError', async () => {
    const probe = createProviderProbe({ baseUrls: fake.baseUrls });
    const apiKey = keyFor('openai');
    const error = await probe.probe({ provider: 'openai', apiKey, model: 'gpt-4o', timeoutMs: -1 }).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT)).toBe(true);
    expect(fake.requestsCarrying(apiKey)).toEqual([]);
  });
});
