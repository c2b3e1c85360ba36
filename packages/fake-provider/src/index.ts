export {
  FAKE_BEHAVIORS,
  REDIRECT_TARGET_PREFIX,
  startFakeProvider,
  type FakeBehavior,
  type FakeProvider,
  type FakeProviderOptions,
  type FakeRequest,
} from './fake-provider.js';
export { fakeAnswerText } from './fake-dialects.js';
export { openAiKeyEcho } from './fake-openai.js';
