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

  /** The kept requests with one of `marks` in their path, headers or body. */
  carrying(marks: readonly string[]): FakeRequest[] {
    if (marks.some((mark) => mark === '')) throw new RangeError('A mark to look for must not be empty');
    // Looked for in the request's JSON, so written as JSON writes it.
    const written = marks.map((mark) => JSON.stringify(mark).slice(1, -1));
    return this.kept.filter((request) => {
      const json = JSON.stringify(request);
      return written.some((mark) => json.includes(mark));
    });
  }

  clear(): void {
    this.kept.length = 0;
    this.#counts.clear();
    this.#total = 0;
  }
}
