import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpError, HttpErrorCodes } from './problems.js';
import { ClientGoneError } from './request-bytes.js';

/** One request to the provider. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: OutgoingHttpHeaders;
  body: Buffer | null;
  signal: AbortSignal;
}

/**
 * Sends one request with Node's HTTP client (keep-alive global agents, no decompression,
 * no redirect followed, no retry) and resolves with the answer once its headers arrived;
 * its body is a Node stream, passed on chunk by chunk. Rejects with the transport error,
 * or with the signal's reason once it aborts.
 */
export function sendUpstream({ method, url, headers, body, signal }: UpstreamRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, signal }, resolve);
    // Kept for the whole call: errors after the answer started (a reset, an abort) reach
    // the answer's stream, and must not be unhandled here.
    req.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    req.end(body ?? undefined);
  });
}

/** Why a call was cut short by {@link callDeadline}. */
const TIMED_OUT = 'timeout';
const CLIENT_GONE = 'client gone';

/**
 * The signal that ends an upstream call: after `timeoutMs`, or when the client goes away
 * before its answer is complete (an answer still streaming included).
 */
export function callDeadline(res: ServerResponse, timeoutMs: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMED_OUT), timeoutMs);
  const onClose = () => {
    clearTimeout(timer);
    if (!res.writableFinished) controller.abort(CLIENT_GONE);
  };
  // The client may have left while its body was read.
  if (res.closed) onClose();
  else res.once('close', onClose);
  return controller.signal;
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
export function readUpTo(answer: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<ReadBody> {
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
    answer.once('error', (error) => reject(signal.aborted ? signal.reason : error));
  });
}
