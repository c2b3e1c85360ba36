import { describeProviderProbeContract } from '@llm-settings/contract-tests';
import { createProviderProbe } from '@llm-settings/provider-probe';
import { startFakeProvider } from '@llm-settings/provider-probe/testing';

describeProviderProbeContract({
  name: 'official SDKs against the fake provider',
  providers: ['anthropic', 'openai'],
  startFake: () => startFakeProvider(),
  create: (fake) => createProviderProbe({ baseUrls: fake.baseUrls }),
  timeoutMs: 300,
});
