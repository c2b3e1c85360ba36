import { describeProviderProbeContract } from '@llm-settings/contract-tests';
import { createProviderProbe } from '@llm-settings/provider-probe';
import { startFakeProvider } from '@llm-settings/fake-provider';

describeProviderProbeContract({
  name: 'official SDKs against the fake provider',
  providers: ['anthropic', 'openai'],
  startFake: () => startFakeProvider(),
  create: (fake) => createProviderProbe({ baseUrls: fake.baseUrls }),
  createWithLimit: (fake, maxInFlight) => createProviderProbe({ baseUrls: fake.baseUrls, maxInFlight }),
  createPointedAt: (baseUrl) => createProviderProbe({ baseUrls: { anthropic: baseUrl, openai: `${baseUrl}/v1` } }),
  timeoutMs: 300,
});
