import type { ServerResponse } from 'node:http';

/** setTimeout fires at once for delays above this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How a streamed answer ended: every frame written, or the client gone first. */
export type StreamEnd = 'finished' | 'aborted';

/**
 * The pause between two events of the fake's streams. Changing it reaches the pauses
 * under way too, so that a test can hold streams (Infinity) and later release them.
 */
export class StreamPacer {
  #delayMs = 0;
  readonly #rearmers = new Set<() => void>();

  setDelay(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('The stream delay must be 0 or more milliseconds.');
    this.#delayMs = ms;
    for (const rearm of this.#rearmers) rearm();
  }

  /** Resolves once the delay, as it is now or as it is set later, has passed since the call, or when `res` closes. */
  pause(res: ServerResponse): Promise<void> {
    const started = performance.now();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.#rearmers.delete(rearm);
        res.off('close', finish);
        resolve();
      };
      const rearm = () => {
        clearTimeout(timer);
        const left = this.#delayMs - (performance.now() - started);
        if (left <= 0) finish();
        else if (left !== Infinity) timer = setTimeout(finish, Math.min(left, MAX_TIMER_MS));
      };
      this.#rearmers.add(rearm);
      res.once('close', finish);
      rearm();
    });
  }
}

/** Writes a 200 of server-sent events, one frame at a time, paced by `pacer`. */
export async function writeStream(
  res: ServerResponse,
  headers: Readonly<Record<string, string>>,
  frames: readonly string[],
  pacer: StreamPacer,
): Promise<StreamEnd> {
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  for (const [index, frame] of frames.entries()) {
    if (index > 0) await pacer.pause(res);
    if (closed) return 'aborted';
    res.write(frame);
  }
  res.end();
  return 'finished';
}
