import { describeModelListerContract } from '@llm-settings/contract-tests';
import { createModelLister } from '@llm-settings/provider-probe';
import { startFakeProvider } from '@llm-settings/fake-provider';

// A page size of 100 makes the suite's 250 Anthropic models take three pages.
describeModelListerContract({
  name: 'official SDKs against the fake provider',
  providers: ['anthropic', 'openai'],
  startFake: () => startFakeProvider(),
  create: (fake) => createModelLister({ baseUrls: fake.baseUrls, pageSize: 100 }),
  timeoutMs: 300,
  delayAnswers: (fake, provider, apiKey, ms) => fake.setKeyAnswerDelay(provider, apiKey, ms),
});
