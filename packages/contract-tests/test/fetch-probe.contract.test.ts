import { createFetchProbe } from '@llm-settings/core/testing';
import { startFakeProvider } from '@llm-settings/fake-provider';
import { describeProviderProbeContract } from '../src/provider-probe.contract.js';

describeProviderProbeContract({
  name: "core's reference probe (fetch) against the fake provider",
  providers: ['anthropic', 'openai'],
  startFake: () => startFakeProvider(),
  create: (fake) => createFetchProbe({ baseUrls: fake.baseUrls }),
  createWithLimit: (fake, maxInFlight) => createFetchProbe({ baseUrls: fake.baseUrls, maxInFlight }),
  createPointedAt: (baseUrl) => createFetchProbe({ baseUrls: { anthropic: baseUrl, openai: `${baseUrl}/v1` } }),
  timeoutMs: 300,
});
