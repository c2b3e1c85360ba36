import { getProvider, type LlmProvider } from '../providers.js';
import type { ModelListOutcome, ModelListRequest, ModelLister } from '../ports/model-lister.port.js';

/** How the memory lister answers a key, named as the contract suite's fakes name them. */
export type MemoryModelListerBehavior = 'ok' | 'unauthorized' | 'forbidden' | 'rate_limited' | 'server_error' | 'hang';

export interface MemoryModelLister extends ModelLister {
  /** Every request received, in order (a test double: the key is kept as sent). */
  readonly calls: ModelListRequest[];
  /** The models the provider lists for one key, in order; `null` gives it the default list again. */
  setKeyModels(provider: LlmProvider, apiKey: string, models: readonly string[] | null): void;
  /** How the provider answers one key; `null` means `ok`. */
  setKeyBehavior(provider: LlmProvider, apiKey: string, behavior: MemoryModelListerBehavior | null): void;
  /** Holds the answer to one key `ms` milliseconds, as a slow provider would; `null` answers at once. */
  setKeyAnswerDelay(provider: LlmProvider, apiKey: string, ms: number | null): void;
  /** Listings asked of `provider` since the last reset (one per listing: no pages here). */
  requestCount(provider: LlmProvider): number;
  reset(): void;
  close(): Promise<void>;
}

export interface MemoryModelListerOptions {
  /**
   * What a key without a list of its own is given.
   * @default [] for each provider
   */
  models?: Partial<Record<LlmProvider, readonly string[]>>;
}

const FAILURES = {
  unauthorized: { code: 'invalid_api_key', message: 'rejected the API key.' },
  forbidden: { code: 'permission_denied', message: 'denied the API key the model list.' },
  rate_limited: { code: 'rate_limited', message: 'is rate limiting the API key.' },
  server_error: { code: 'provider_unavailable', message: 'could not list its models.' },
} as const;

/**
 * The reference ModelLister: lists from memory, per provider and key, for testing the
 * use cases without a provider. It honours `timeoutMs` and `signal` as an adapter must.
 */
export function createMemoryModelLister(options: MemoryModelListerOptions = {}): MemoryModelLister {
  const calls: ModelListRequest[] = [];
  const lists = new Map<string, readonly string[]>();
  const behaviors = new Map<string, MemoryModelListerBehavior>();
  const delays = new Map<string, number>();
  const idOf = (provider: LlmProvider, apiKey: string) => `${provider}\n${apiKey}`;

  const answer = (request: ModelListRequest): ModelListOutcome | null => {
    const name = getProvider(request.provider).displayName;
    const behavior = behaviors.get(idOf(request.provider, request.apiKey)) ?? 'ok';
    if (behavior === 'hang') return null;
    if (behavior !== 'ok') {
      const failure = FAILURES[behavior];
      return { code: failure.code, message: `${name} ${failure.message}`, latencyMs: 0 };
    }
    const ids = lists.get(idOf(request.provider, request.apiKey)) ?? options.models?.[request.provider] ?? [];
    // As an adapter must: nothing that holds the key is listed (a keyless provider's empty key is in every id).
    const models = ids.filter((id) => request.apiKey === '' || !id.includes(request.apiKey)).map((id) => ({ id, displayName: null }));
    return { code: 'ok', models, message: `${name} listed ${models.length} models.`, latencyMs: 0 };
  };

  return {
    calls,
    async listModels(request) {
      const name = getProvider(request.provider).displayName;
      if (request.signal?.aborted) return { code: 'timeout', message: `Listing the ${name} models was cancelled.`, latencyMs: null };
      calls.push(request);
      const delay = delays.get(idOf(request.provider, request.apiKey)) ?? 0;
      const outcome = delay === 0 ? answer(request) : null;
      if (outcome !== null) return outcome;
      // A slow or hanging provider: the deadline or the caller's signal may end the wait first.
      return new Promise((resolve) => {
        const deadline = setTimeout(() => settle({ code: 'timeout', message: `${name} did not list its models in time.`, latencyMs: request.timeoutMs ?? 0 }), request.timeoutMs ?? 10_000);
        const held =
          delay === 0
            ? undefined
            : setTimeout(() => {
                const late = answer(request);
                if (late !== null) settle(late);
              }, delay);
        const cancel = () => settle({ code: 'timeout', message: `Listing the ${name} models was cancelled.`, latencyMs: 0 });
        request.signal?.addEventListener('abort', cancel);
        function settle(result: ModelListOutcome) {
          clearTimeout(deadline);
          clearTimeout(held);
          request.signal?.removeEventListener('abort', cancel);
          resolve(result);
        }
      });
    },
    setKeyModels(provider, apiKey, models) {
      if (models === null) lists.delete(idOf(provider, apiKey));
      else lists.set(idOf(provider, apiKey), [...models]);
    },
    setKeyBehavior(provider, apiKey, behavior) {
      if (behavior === null) behaviors.delete(idOf(provider, apiKey));
      else behaviors.set(idOf(provider, apiKey), behavior);
    },
    setKeyAnswerDelay(provider, apiKey, ms) {
      if (ms === null) delays.delete(idOf(provider, apiKey));
      else delays.set(idOf(provider, apiKey), ms);
    },
    requestCount: (provider) => calls.filter((call) => call.provider === provider).length,
    reset() {
      calls.length = 0;
      lists.clear();
      behaviors.clear();
      delays.clear();
    },
    async close() {},
  };
}
