/** How a wait ended. */
export type WaitResult<T> =
  | { readonly settled: true; readonly value: T }
  | { readonly settled: false; readonly reason: 'timeout' | 'aborted' };

/** setTimeout fires at once for delays above this, so longer deadlines are capped to it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits for `promise`, but no longer than `timeoutMs` and no longer than `signal`
 * stays unaborted. The promise itself is left running; its rejection is passed on.
 */
export function waitWithin<T>(promise: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult<T>> {
  return new Promise((resolve, reject) => {
    const stopWatching = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const finish = (result: WaitResult<T>) => {
      stopWatching();
      resolve(result);
    };
    const onAbort = () => finish({ settled: false, reason: 'aborted' });
    const timer = setTimeout(() => finish({ settled: false, reason: 'timeout' }), Math.min(timeoutMs, MAX_TIMER_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => finish({ settled: true, value }),
      (error: unknown) => {
        stopWatching();
        reject(error);
      },
    );
  });
}
