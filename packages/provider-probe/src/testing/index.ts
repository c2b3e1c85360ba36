export {
  FAKE_BEHAVIORS,
  REDIRECT_TARGET_PREFIX,
  startFakeProvider,
  type FakeBehavior,
  type FakeProvider,
  type FakeProviderOptions,
  type FakeRequest,
} from './fake-provider.js';
export { openAiKeyEcho } from './fake-dialects.js';
