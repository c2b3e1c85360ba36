import type { LlmProvider } from '@llm-settings/core';
import type { FakeRequest } from './fake-provider.js';

/** The latest requests, at most `limit` of them, and a count of all of them by provider. */
export class RequestLog {
  /** Oldest first; the same array from start to close, since callers hold it as `requests`. */
  readonly kept: FakeRequest[] = [];
  readonly #limit: number;
  readonly #counts = new Map<LlmProvider, number>();
  #total = 0;

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError('keptRequests must be an integer of 0 or more');
    this.#limit = limit;
  }

  add(request: FakeRequest): void {
    this.#total += 1;
    this.#counts.set(request.provider, this.count(request.provider) + 1);
    this.kept.push(request);
    if (this.kept.length > this.#limit) this.kept.splice(0, this.kept.length - this.#limit);
  }

  count(provider?: LlmProvider): number {
    return provider === undefined ? this.#total : (this.#counts.get(provider) ?? 0);
  }

  clear(): void {
    this.kept.length = 0;
    this.#counts.clear();
    this.#total = 0;
  }
}
