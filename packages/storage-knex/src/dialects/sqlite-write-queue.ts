import { StorageUnavailableError } from '@llm-settings/core';

/**
 * Runs this store's SQLite writes one at a time, in call order, each starting once the
 * one before it settled. The pool has one connection, which a write transaction holds
 * for several round trips, one per turn of the event loop; writers that all waited for
 * it in the pool failed at its acquire timeout under load, although nothing was wrong
 * but the queue's length. Queued here, a write waits without holding the connection or
 * a place in the pool's queue, so reads pass between writes, and it gives up only after
 * `maxWaitMs` (when a write ahead of it is stuck: another process holding the lock, a
 * stalled disk).
 * @returns a function that runs `write` in its turn, or rejects with
 *   StorageUnavailableError, without running it, when its turn has not come within `maxWaitMs`.
 */
export function createWriteQueue(maxWaitMs: number): <T>(write: () => Promise<T>) => Promise<T> {
  let last: Promise<void> = Promise.resolve();
  return <T>(write: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      let gaveUp = false;
      const timer = setTimeout(() => {
        gaveUp = true;
        reject(new StorageUnavailableError('The SQLite database took too long to accept a write: earlier writes are still waiting for it.'));
      }, maxWaitMs);
      // A queued write alone must not keep the process alive.
      timer.unref();
      last = last.then(async () => {
        clearTimeout(timer);
        if (gaveUp) return;
        try {
          resolve(await write());
        } catch (error) {
          reject(error);
        }
      });
    });
}
