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

/**
 * The body of an answer, up to `maxBytes`; null (and the answer dropped) when it is
 * longer. Rejects like {@link sendUpstream} when the call ends while it is read.
 */
export function readUpTo(answer: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    answer.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else {
        answer.destroy();
        resolve(null);
      }
    });
    answer.once('end', () => resolve(Buffer.concat(chunks, size)));
    answer.once('error', (error) => reject(signal.aborted ? signal.reason : error));
  });
}
