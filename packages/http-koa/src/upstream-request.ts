import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpError, HttpErrorCodes } from './problems.js';
import { ClientGoneError } from './request-bytes.js';

/** One request to the provider. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: OutgoingHttpHeaders;
  body: Buffer | null;
  deadline: CallDeadline;
}

/**
 * Sends one request with Node's HTTP client (keep-alive global agents, no decompression,
 * no redirect followed, no retry) and resolves with the answer once its headers arrived;
 * its body is a Node stream, passed on chunk by chunk. Rejects with the transport error,
 * or with the deadline's reason once the call ended.
 */
export function sendUpstream({ method, url, headers, body, deadline }: UpstreamRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers }, resolve);
    // Kept for the whole call: errors after the answer started (a reset, the deadline)
    // reach the answer's stream, and must not be unhandled here.
    req.on('error', (error) => reject(deadline.reason ?? error));
    deadline.follow(req);
    req.end(body ?? undefined);
  });
}

/** Why a call was cut short by its {@link CallDeadline}. */
const TIMED_OUT = 'timeout';
const CLIENT_GONE = 'client gone';
type CallEnd = typeof TIMED_OUT | typeof CLIENT_GONE;

/**
 * The end of an upstream call: after `timeoutMs`, or when the client goes away before its
 * answer is complete (an answer still streaming included). Ending destroys the upstream
 * request, which fails its answer's stream too. A timer and a 'close' listener rather
 * than an AbortSignal, whose listeners cost the server about 5% of its CPU per call.
 */
export class CallDeadline {
  private endedBy: CallEnd | null = null;
  private request: ClientRequest | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(res: ServerResponse, timeoutMs: number) {
    this.timer = setTimeout(() => this.end(TIMED_OUT), timeoutMs);
    const onClose = () => {
      clearTimeout(this.timer);
      if (!res.writableFinished) this.end(CLIENT_GONE);
    };
    // The client may have left while its body was read.
    if (res.closed) onClose();
    else res.once('close', onClose);
  }

  /** Why the call ended early; null while it runs. */
  get reason(): CallEnd | null {
    return this.endedBy;
  }

  /** Destroys `request` when the call ends, at once if it already has. */
  follow(request: ClientRequest): void {
    this.request = request;
    if (this.endedBy !== null) request.destroy();
  }

  private end(reason: CallEnd): void {
    if (this.endedBy !== null) return;
    this.endedBy = reason;
    clearTimeout(this.timer);
    this.request?.destroy();
  }
}

/**
 * The error to answer for a call that failed before its answer was passed on: 504 once
 * `timeoutMs` passed, ClientGoneError when the client left, 502 for anything else
 * (refused, reset, unknown host, TLS). The transport error itself is not sent.
 */
export function callFailure(error: unknown, timeoutMs: number): Error {
  if (error === TIMED_OUT) return new HttpError(504, HttpErrorCodes.UPSTREAM_TIMEOUT, 'Provider timeout', `The provider did not answer within ${timeoutMs} ms.`);
  if (error === CLIENT_GONE || error instanceof ClientGoneError) return new ClientGoneError();
  return upstreamUnavailable('The provider could not be reached.');
}

export function upstreamUnavailable(detail: string): HttpError {
  return new HttpError(502, HttpErrorCodes.UPSTREAM_UNAVAILABLE, 'Provider unavailable', detail);
}

/** An answer's body read whole, or only its first chunks when it is longer than the limit. */
export type ReadBody = { readonly whole: Buffer } | { readonly head: readonly Buffer[] };

/**
 * Reads an answer's body up to `maxBytes`. When it is longer, resolves with the chunks
 * read so far (just over the limit) and leaves the answer paused after them, so that the
 * caller can pass the rest on or drop it. Rejects like {@link sendUpstream} when the
 * call ends while it is read.
 */
export function readUpTo(answer: IncomingMessage, maxBytes: number, deadline: CallDeadline): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= maxBytes) return;
      answer.pause();
      answer.off('data', onData);
      answer.off('end', onEnd);
      resolve({ head: chunks });
    };
    const onEnd = () => resolve({ whole: Buffer.concat(chunks, size) });
    answer.on('data', onData);
    answer.once('end', onEnd);
    // Stays on after a head is returned, so that a failure before the rest is passed on is not unhandled.
    answer.once('error', (error) => reject(deadline.reason ?? error));
  });
}
