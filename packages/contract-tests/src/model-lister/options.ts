import type { LlmProvider, ModelLister } from '@llm-settings/core';

/** How the fake answers a key: `ok` lists its models; the others fail as their names say; `hang` never answers. */
export type ModelListerContractBehavior = 'ok' | 'unauthorized' | 'forbidden' | 'rate_limited' | 'server_error' | 'hang';

/**
 * A fake provider the lister under test is pointed at. Its model list is given per key,
 * in order; a provider that pages its list must page it as the real one does.
 */
export interface ModelListerContractFake {
  /** The models the provider lists for `apiKey`, in order. */
  setKeyModels(provider: LlmProvider, apiKey: string, models: readonly string[] | null): void;
  /** How the provider answers `apiKey`; `null` means `ok`. */
  setKeyBehavior(provider: LlmProvider, apiKey: string, behavior: ModelListerContractBehavior | null): void;
  /** Requests the fake received for `provider` since the last `reset()`. */
  requestCount(provider: LlmProvider): number;
  /** No key lists, behaviours or answer delays; request counts at zero. */
  reset(): void;
  close(): Promise<void>;
}

export interface ModelListerContractOptions<Fake extends ModelListerContractFake = ModelListerContractFake> {
  /** Names the adapter in test titles. */
  name: string;
  /** Providers the adapter supports; each gets the whole suite. */
  providers: readonly LlmProvider[];
  /** Starts the fake provider, once for the suite. */
  startFake: () => Promise<Fake>;
  /** Builds the lister under test, pointed at the fake. */
  create: (fake: Fake) => ModelLister | Promise<ModelLister>;
  /**
   * `timeoutMs` of the requests that meet a hanging provider.
   * @default 300
   */
  timeoutMs?: number;
  /**
   * Makes the fake hold each answer to `apiKey` (every page of its list) `ms`
   * milliseconds before sending it, until `fake.reset()`. Without it, the check that
   * `timeoutMs` bounds the whole listing, every page included, is skipped.
   */
  delayAnswers?: (fake: Fake, provider: LlmProvider, apiKey: string, ms: number) => void;
}
