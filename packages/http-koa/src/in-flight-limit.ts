import { HttpError, HttpErrorCodes, RETRY_AFTER_SECONDS } from './problems.js';
import type { ResponseClose } from './response-close.js';

/** Told when an admitted call enters and leaves (once its response closes), for metrics. */
export interface InFlightWatcher {
  entered(): void;
  left(): void;
}

/**
 * Bounds the calls in flight, in all and per scope: each holds a client socket and a
 * provider socket (and their buffers) for as long as the provider takes, up to the
 * call's timeout, so without a bound a flood of calls to a slow provider exhausts the
 * file descriptors. A call beyond either bound is refused at once, not queued: a queue
 * would hold the same sockets.
 */
export class InFlightLimit {
  private total = 0;
  private readonly perScope = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerScope: number,
  ) {}

  /**
   * Counts a call of `scope` until its response closes (answered, cut, or its client gone).
   * @throws HttpError 429 HTTP.TOO_MANY_REQUESTS, with Retry-After, when either bound is reached.
   */
  enter(scope: string, closing: ResponseClose, watcher?: InFlightWatcher): void {
    const inScope = this.perScope.get(scope) ?? 0;
    if (this.total >= this.maxTotal) throw tooMany(`${this.maxTotal} LLM calls are in flight, the most this server takes at once.`);
    if (inScope >= this.maxPerScope) throw tooMany(`${this.maxPerScope} LLM calls of this scope are in flight, the most it may have at once.`);
    this.total += 1;
    this.perScope.set(scope, inScope + 1);
    watcher?.entered();
    const leave = () => {
      this.total -= 1;
      const left = (this.perScope.get(scope) ?? 1) - 1;
      if (left === 0) this.perScope.delete(scope);
      else this.perScope.set(scope, left);
      watcher?.left();
    };
    closing.add(leave);
  }
}

function tooMany(detail: string): HttpError {
  return new HttpError(429, HttpErrorCodes.TOO_MANY_REQUESTS, 'Too many calls in flight', `${detail} Try again in a moment.`, {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}
