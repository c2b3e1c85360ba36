import type { Span } from '@opentelemetry/api';
import type { LlmProvider } from '@llm-settings/core';
import type { InFlightWatcher } from './in-flight-limit.js';
import type { HttpObserver } from './observer.js';
import { endUpstreamSpan, startUpstreamSpan } from './tracing.js';

const secondsSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * The measures of one pass-through call: counted in flight while the in-flight limit
 * holds it (until its answer closes), then reported whole to the observer; and its span,
 * from sending the request to the provider until then.
 */
export class LlmCallMeter implements InFlightWatcher {
  private sentAt: bigint | null = null;
  private upstreamStatus: number | null = null;
  private upstreamSeconds: number | null = null;
  private firstByteSeconds: number | null = null;
  private bytesIn = 0;
  private bytesOut = 0;
  private span: Span | null = null;

  constructor(
    private readonly observer: HttpObserver,
    private readonly provider: LlmProvider,
    private readonly route: string,
    private readonly requestSpan: Span | undefined,
  ) {}

  entered(): void {
    this.observer.llmInFlight(this.provider, this.route, 1);
  }

  /** The request goes to the provider now, with this body. */
  sending(method: string, body: Buffer | null): void {
    this.span = startUpstreamSpan(this.requestSpan, this.provider, this.route, method);
    this.sentAt = process.hrtime.bigint();
    this.bytesIn = body?.length ?? 0;
  }

  /** The provider's answer headers arrived. */
  answered(status: number): void {
    this.upstreamStatus = status;
    if (this.sentAt !== null) this.upstreamSeconds = secondsSince(this.sentAt);
  }

  /** Body bytes passed on to the caller; `streamed` for a stream's chunks, whose first one is its time to first byte. */
  passedOn(bytes: number, streamed = false): void {
    if (streamed && bytes > 0 && this.firstByteSeconds === null && this.sentAt !== null) this.firstByteSeconds = secondsSince(this.sentAt);
    this.bytesOut += bytes;
  }

  left(): void {
    if (this.span !== null) endUpstreamSpan(this.span, this.upstreamStatus);
    this.observer.llmInFlight(this.provider, this.route, -1);
    this.observer.llmCallEnded({
      provider: this.provider,
      route: this.route,
      upstreamStatus: this.upstreamStatus,
      upstreamSeconds: this.upstreamSeconds,
      firstByteSeconds: this.firstByteSeconds,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    });
  }
}
