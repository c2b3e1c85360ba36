import { ProbeBusyError } from '@llm-settings/core';

interface RunningCall<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

/** A caller's hold on a running call. */
export interface CallTicket<T> {
  /** Settles with the call's result. Never rejects when the started function never rejects. */
  readonly promise: Promise<T>;
  /** True when the caller joined a call another caller started. */
  readonly shared: boolean;
  /** Releases the hold; when the last holder leaves before the call ends, the call is aborted. */
  leave(): void;
}

/**
 * Calls in flight, keyed by an id, with a limit on how many run at once. A caller
 * asking for an id that is already running shares that call instead of starting
 * another, and does not count against the limit.
 */
export class SharedCalls<T> {
  private readonly running = new Map<string, RunningCall<T>>();

  constructor(private readonly limit: number) {}

  /**
   * Joins the call running under `id`, or starts one with `start`.
   * @throws ProbeBusyError when a new call is needed and `limit` calls are running.
   */
  join(id: string, start: (signal: AbortSignal) => Promise<T>): CallTicket<T> {
    const existing = this.running.get(id);
    const call = existing ?? this.start(id, start);
    call.waiters += 1;
    let left = false;
    return {
      promise: call.promise,
      shared: existing !== undefined,
      leave: () => {
        if (left) return;
        left = true;
        call.waiters -= 1;
        if (call.waiters === 0 && this.running.get(id) === call) {
          // Nobody waits any more: free the slot now, so that a new caller does not join an aborted call.
          this.running.delete(id);
          call.controller.abort();
        }
      },
    };
  }

  private start(id: string, start: (signal: AbortSignal) => Promise<T>): RunningCall<T> {
    if (this.running.size >= this.limit) throw new ProbeBusyError();
    const controller = new AbortController();
    const call: RunningCall<T> = {
      controller,
      waiters: 0,
      promise: start(controller.signal).finally(() => {
        if (this.running.get(id) === call) this.running.delete(id);
      }),
    };
    this.running.set(id, call);
    return call;
  }
}
