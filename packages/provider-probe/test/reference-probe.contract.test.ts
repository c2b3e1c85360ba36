// core's reference probe runs here rather than in contract-tests: the fake provider is
// this package's, and contract-tests depending on it would make a dependency cycle.
import { describeProviderProbeContract } from '@llm-settings/contract-tests';
import { createFetchProbe } from '@llm-settings/core/testing';
import { startFakeProvider } from '@llm-settings/fake-provider';

describeProviderProbeContract({
  name: "core's reference probe (fetch) against the fake provider",
  providers: ['anthropic', 'openai'],
  startFake: () => startFakeProvider(),
  create: (fake) => createFetchProbe({ baseUrls: fake.baseUrls }),
  createWithLimit: (fake, maxInFlight) => createFetchProbe({ baseUrls: fake.baseUrls, maxInFlight }),
  createPointedAt: (baseUrl) => createFetchProbe({ baseUrls: { anthropic: baseUrl, openai: `${baseUrl}/v1` } }),
  timeoutMs: 300,
});
