import { createMemoryModelLister } from '@llm-settings/core/testing';
import { describeModelListerContract } from '../src/index.js';

// The reference lister is its own fake: it lists from memory.
describeModelListerContract({
  name: 'core memory model lister',
  providers: ['anthropic', 'openai'],
  startFake: async () => createMemoryModelLister(),
  create: (fake) => fake,
  delayAnswers: (fake, provider, apiKey, ms) => fake.setKeyAnswerDelay(provider, apiKey, ms),
});
