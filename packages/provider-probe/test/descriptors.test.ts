import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_PROBE_STATUS_CODES, openAiCompatible, PROVIDERS, ProviderRegistry, type ProviderDescriptor } from '@llm-settings/core';
import { createModelLister, createProviderProbe, createSdkClient } from '../src/index.js';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';

/*
 * The probe, the model lister and the SDK client, driven by each OpenAI-dialect built-in
 * descriptor alone, against the fake under that provider's own root and key header.
 */

const OPENAI_DIALECT = PROVIDERS.filter((p) => p.dialect === 'openai');
const KEY = 'sk-descriptor-probe-key-0123456789QZXW';

/** An operator's gateway that answers an unknown key with 400 and a spent budget with 402. */
const GATEWAY = openAiCompatible({
  id: 'gateway',
  displayName: 'Gateway',
  defaultBaseUrl: 'https://gateway.example/v1',
  defaultModel: 'gw-model',
  catalogue: [{ id: 'gw-model', displayName: 'gw-model' }],
  probeStatusCodes: { ...DIALECT_PROBE_STATUS_CODES.openai, 400: 'invalid_api_key', 402: 'rate_limited' },
});

/** An operator's gateway whose key test is a key-info route, as OpenRouter's is. */
const KEY_INFO_GATEWAY = openAiCompatible({
  id: 'key-info-gw',
  displayName: 'Key-info gateway',
  defaultBaseUrl: 'https://key-info.example/v1',
  defaultModel: 'kig-model',
  catalogue: [{ id: 'kig-model', displayName: 'kig-model' }],
  keyTest: { keyInfo: '/key' },
});

/** The message of a passed key test: a key-info route does not look at the model. */
const okMessage = (p: ProviderDescriptor) =>
  typeof p.keyTest === 'object' ? `${p.displayName} accepted the API key; this test does not check the model.` : `${p.displayName} accepted the API key and the model is available.`;

let fake: FakeProvider;
let providers: ProviderRegistry;
let everyProvider: ProviderRegistry;

beforeAll(async () => {
  fake = await startFakeProvider({ providers: [GATEWAY, KEY_INFO_GATEWAY] });
  providers = new ProviderRegistry({ enabled: OPENAI_DIALECT.map((p) => p.id), baseUrls: fake.baseUrls });
  everyProvider = new ProviderRegistry({ enabled: [...PROVIDERS, GATEWAY].map((p) => p.id), custom: [GATEWAY], baseUrls: fake.baseUrls });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const keyFor = (p: ProviderDescriptor) => (p.keyRequired ? KEY : '');

describe.each(OPENAI_DIALECT.map((p) => [p.id, p] as const))('%s', (id, descriptor) => {
  const sent = () => fake.requests.filter((r) => r.provider === id);

  it('tests a key with one call under its root, the key in its own header only', async () => {
    const outcome = await createProviderProbe({ providers }).probe({ provider: id, apiKey: keyFor(descriptor), model: descriptor.defaultModel });
    expect(outcome).toMatchObject({ code: 'ok', message: okMessage(descriptor) });
    expect(sent()).toHaveLength(1);
    const [request] = sent();
    expect(request!.path.startsWith(new URL(fake.baseUrls[id]!).pathname)).toBe(true);
    expect(request!.apiKey).toBe(descriptor.keyRequired ? KEY : null);
    const header = { bearer: 'authorization', 'api-key': 'api-key', 'x-api-key': 'x-api-key', none: null }[descriptor.auth];
    for (const name of ['authorization', 'x-api-key', 'api-key']) if (name !== header) expect(request!.headers[name], name).toBeUndefined();
  });

  it('reads a refusal and an unknown model as the probe codes', async () => {
    const probe = createProviderProbe({ providers });
    fake.setBehavior(id, 'unauthorized');
    expect((await probe.probe({ provider: id, apiKey: keyFor(descriptor), model: descriptor.defaultModel })).code).toBe('invalid_api_key');
    fake.reset();
    const unknown = await probe.probe({ provider: id, apiKey: keyFor(descriptor), model: 'no-such-model' });
    // A key-info route does not look at the model.
    expect(unknown).toMatchObject(typeof descriptor.keyTest === 'object' ? { code: 'ok', message: okMessage(descriptor) } : { code: 'model_not_found' });
  });

  it("lists the key's models", async () => {
    const outcome = await createModelLister({ providers }).listModels({ provider: id, apiKey: keyFor(descriptor) });
    expect(outcome.code).toBe('ok');
    if (outcome.code === 'ok') expect(outcome.models.map((m) => m.id)).toContain(descriptor.defaultModel);
  });

  it('builds an openai SDK client at its root', async () => {
    const sdk = await createSdkClient({ provider: id, apiKey: keyFor(descriptor), providers });
    expect(sdk).toMatchObject({ provider: id, dialect: 'openai' });
    if (sdk.dialect !== 'openai') throw new Error('expected an OpenAI client');
    const completion = await sdk.client.chat.completions.create({ model: descriptor.defaultModel, messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]?.message.content).toBe(fakeAnswerText(descriptor.defaultModel, 1));
  });
});

/** The statuses a descriptor names, and ones it does not (a server error, an unexpected 4xx, Anthropic's 529). */
const statusesOf = (p: ProviderDescriptor) => [...Object.keys(p.probeStatusCodes).map(Number), 400, 418, 500, 529];

describe.each([...PROVIDERS, GATEWAY].map((p) => [p.id, p] as const))('the answers of %s', (id, descriptor) => {
  it.each(statusesOf(descriptor))('HTTP %i to the key test and to the model list mean the code its descriptor says', async (status) => {
    const expected = descriptor.probeStatusCodes[status] ?? 'provider_unavailable';
    fake.setBehavior(id, { status });
    const probed = await createProviderProbe({ providers: everyProvider }).probe({ provider: id, apiKey: keyFor(descriptor), model: descriptor.defaultModel });
    // A key-info route names no model: its 404 says the base URL reaches no such route.
    const keyInfo404 = typeof descriptor.keyTest === 'object' && status === 404;
    expect(probed.code).toBe(keyInfo404 ? 'provider_unavailable' : expected);
    if (keyInfo404) expect(probed.message).toMatch(/answered \(HTTP 404\), but not as its API does; check the configured base URL/);
    const listed = await createModelLister({ providers: everyProvider }).listModels({ provider: id, apiKey: keyFor(descriptor) });
    expect(listed.code).toBe(expected);
  });
});

it("reads a status by the provider's table, not by its dialect's alone", () => {
  for (const id of ['deepseek', 'openrouter']) expect(everyProvider.get(id).probeStatusCodes[402], id).toBe('permission_denied');
  expect(everyProvider.get('openai').probeStatusCodes[402]).toBeUndefined();
  expect(GATEWAY.probeStatusCodes[400]).toBe('invalid_api_key');
});

it('says a passed key test did not check the model when its descriptor tests the key alone, never that the model is available', async () => {
  const registry = new ProviderRegistry({ enabled: ['openrouter', 'key-info-gw', 'openai'], custom: [KEY_INFO_GATEWAY], baseUrls: fake.baseUrls });
  const probe = createProviderProbe({ providers: registry });
  expect(await probe.probe({ provider: 'openrouter', apiKey: KEY, model: 'no-such/model' })).toMatchObject({
    code: 'ok',
    message: 'OpenRouter accepted the API key; this test does not check the model.',
  });
  expect(await probe.probe({ provider: 'key-info-gw', apiKey: KEY, model: 'no-such-model' })).toMatchObject({
    code: 'ok',
    message: 'Key-info gateway accepted the API key; this test does not check the model.',
  });
  expect((await probe.probe({ provider: 'openai', apiKey: KEY, model: 'gpt-4o' })).message).toBe('OpenAI accepted the API key and the model is available.');
});

it('refuses a provider the registry does not enable, naming the enabled ones', async () => {
  const two = new ProviderRegistry();
  await expect(createProviderProbe({ providers: two }).probe({ provider: 'groq', apiKey: KEY, model: 'm' })).rejects.toThrow('provider must be one of: anthropic, openai');
  await expect(createSdkClient({ provider: 'groq', apiKey: KEY, providers: two })).rejects.toThrow('provider must be one of: anthropic, openai');
});
