import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, ProviderRegistry, type ProviderDescriptor } from '@llm-settings/core';
import { createModelLister, createProviderProbe, createSdkClient } from '../src/index.js';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '../src/testing/index.js';

/*
 * The probe, the model lister and the SDK client, driven by each OpenAI-dialect built-in
 * descriptor alone, against the fake under that provider's own root and key header.
 */

const OPENAI_DIALECT = PROVIDERS.filter((p) => p.dialect === 'openai');
const KEY = 'sk-descriptor-probe-key-0123456789QZXW';

let fake: FakeProvider;
let providers: ProviderRegistry;

beforeAll(async () => {
  fake = await startFakeProvider();
  providers = new ProviderRegistry({ enabled: OPENAI_DIALECT.map((p) => p.id), baseUrls: fake.baseUrls });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const keyFor = (p: ProviderDescriptor) => (p.keyRequired ? KEY : '');

describe.each(OPENAI_DIALECT.map((p) => [p.id, p] as const))('%s', (id, descriptor) => {
  const sent = () => fake.requests.filter((r) => r.provider === id);

  it('tests a key with one call under its root, the key in its own header only', async () => {
    const outcome = await createProviderProbe({ providers }).probe({ provider: id, apiKey: keyFor(descriptor), model: descriptor.defaultModel });
    expect(outcome).toMatchObject({ code: 'ok', message: `${descriptor.displayName} accepted the API key and the model is available.` });
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
    expect(unknown.code).toBe(typeof descriptor.keyTest === 'object' ? 'ok' : 'model_not_found');
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

it('refuses a provider the registry does not enable, naming the enabled ones', async () => {
  const two = new ProviderRegistry();
  await expect(createProviderProbe({ providers: two }).probe({ provider: 'groq', apiKey: KEY, model: 'm' })).rejects.toThrow('provider must be one of: anthropic, openai');
  await expect(createSdkClient({ provider: 'groq', apiKey: KEY, providers: two })).rejects.toThrow('provider must be one of: anthropic, openai');
});
