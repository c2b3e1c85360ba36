import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { HttpError, HttpErrorCodes } from './problems.js';
import { ClientGoneError } from './request-bytes.js';
import type { ResponseClose } from './response-close.js';

/** One request to the provider. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: OutgoingHttpHeaders;
  body: Buffer | null;
}

/** An answer's body read whole, or only its first chunks when it is longer than the limit. */
export type ReadBody = { readonly whole: Buffer } | { readonly head: readonly Buffer[] };

/** Why a call was cut short before its end. */
type CallEnd = 'timeout' | 'client gone';

/**
 * One call to the provider, from sending its request until its answer is passed on: its
 * deadline, the request, the bounded read of its answer, and what a failure of any of
 * them answers (504 once the deadline passed, ClientGoneError when the client left, 502
 * for anything else: refused, reset, unknown host, TLS; the transport error itself is
 * never sent).
 *
 * The deadline ends the call after `timeoutMs`, or when the client goes away before its
 * answer is complete (an answer still streaming included), by destroying the upstream
 * request, which fails its answer's stream too: a timer and a 'close' listener rather
 * than an AbortSignal, whose listeners cost the server about 5% of its CPU per call.
 *
 * The client is Node's own (keep-alive global agents, no decompression, no redirect
 * followed, no retry), not undici's `request`, which was tried on 2026-12-06 and gained
 * nothing: the same CPU per call (65 against 67 µs, medians of six rounds), and lower
 * pass-through medians in bench/proxy.bench.mjs (flat out 0.61x of bare Koa against
 * 0.68x, three A/B runs each; see docs/performance.md); and it hands duplicated answer
 * headers over as arrays, where Node keeps the first or joins them, which would change
 * what is passed on.
 */
export class UpstreamCall {
  private endedBy: CallEnd | null = null;
  private request: ClientRequest | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    res: ServerResponse,
    closing: ResponseClose,
    private readonly timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.end('timeout'), timeoutMs);
    const onClose = () => {
      clearTimeout(this.timer);
      if (!res.writableFinished) this.end('client gone');
    };
    // The client may have left while its body was read: then at once.
    closing.add(onClose);
  }

  /**
   * Sends the request and resolves with the answer once its headers arrived; its body is
   * a Node stream, passed on chunk by chunk.
   * @throws HttpError 502 or 504, or ClientGoneError (see the class).
   */
  send({ method, url, headers, body }: UpstreamRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send({ ...requestOptionsOf(url), method, headers }, resolve);
      // Kept for the whole call: errors after the answer started (a reset, the deadline)
      // reach the answer's stream, and must not be unhandled here.
      req.on('error', (error) => reject(this.failure(error)));
      // A 101 hands the connection over: without this, Node emits neither an answer nor an error, and the call would hang past its deadline.
      req.on('upgrade', (_answer, socket) => {
        socket.destroy();
        reject(refusedAnswer('The provider switched protocols, which is not passed on.'));
      });
      this.request = req;
      if (this.endedBy !== null) req.destroy();
      req.end(body ?? undefined);
    });
  }

  /**
   * Reads an answer's body up to `maxBytes`. When it is longer, resolves with the chunks
   * read so far (just over the limit) and leaves the answer paused after them, so that the
   * caller can pass the rest on or drop it.
   * @throws like {@link send} when the call fails while it is read.
   */
  readUpTo(answer: IncomingMessage, maxBytes: number): Promise<ReadBody> {
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
      answer.once('error', (error) => reject(this.failure(error)));
    });
  }

  private end(reason: CallEnd): void {
    if (this.endedBy !== null) return;
    this.endedBy = reason;
    clearTimeout(this.timer);
    this.request?.destroy();
  }

  private failure(error: unknown): Error {
    if (this.endedBy === 'timeout') return new HttpError(504, HttpErrorCodes.UPSTREAM_TIMEOUT, 'Provider timeout', `The provider did not answer within ${this.timeoutMs} ms.`);
    if (this.endedBy === 'client gone' || error instanceof ClientGoneError) return new ClientGoneError();
    // The transport error stays the cause: the request's log line names its code, never the answer.
    return upstreamUnavailable('The provider could not be reached.', error);
  }
}

/** Node's request options of each URL a call was sent to (a route's own URL is used for every call and never changed). */
const requestOptions = new WeakMap<URL, ReturnType<typeof urlToHttpOptions>>();

/** The URL as Node's client takes it, converted once per URL object: converting it per call cost about 1 % of a call. */
function requestOptionsOf(url: URL): ReturnType<typeof urlToHttpOptions> {
  let options = requestOptions.get(url);
  if (options === undefined) requestOptions.set(url, (options = urlToHttpOptions(url)));
  return options;
}

/** The 502 of a provider that could not be used; `cause`, when given, is for the log only. */
export function upstreamUnavailable(detail: string, cause?: unknown): HttpError {
  return new HttpError(502, HttpErrorCodes.UPSTREAM_UNAVAILABLE, 'Provider unavailable', detail, {}, cause === undefined ? {} : { cause });
}

/**
 * A 502 for an answer refused as it is (a redirect, an encoding, a switch of protocols),
 * which the provider would send again: the SDK is told not to retry, since each retry is a
 * call the tenant pays for.
 */
export function refusedAnswer(detail: string): HttpError {
  return new HttpError(502, HttpErrorCodes.UPSTREAM_UNAVAILABLE, 'Provider unavailable', detail, { 'x-should-retry': 'false' });
}
