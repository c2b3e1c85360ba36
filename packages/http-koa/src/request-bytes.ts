import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { HttpError, HttpErrorCodes } from './problems.js';

/** Thrown when the client went away before its request body arrived whole. */
export class ClientGoneError extends Error {
  constructor() {
    super('The client disconnected.');
    this.name = 'ClientGoneError';
  }
}

/**
 * Refuses a request whose declared Content-Length exceeds `maxBytes`, before anything
 * of its body is read (and before its settings are looked up).
 * @throws HttpError 413
 */
export function refuseDeclaredOversize(req: IncomingMessage, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw payloadTooLarge(maxBytes);
}

/**
 * The request body as received, bytes untouched (raw-body: counted as they arrive,
 * reading stops at the first byte over `maxBytes` and the rest stays unread). raw-body
 * has no time limit, so a timer bounds the read: a client trickling its body would hold
 * a socket and a slot of the in-flight limit as long as it likes.
 * @throws HttpError 413 over the limit, 408 when the body is not whole within `timeoutMs`;
 *   ClientGoneError when the client disconnects first.
 */
export async function readRequestBytes(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const reading = getRawBody(req, { limit: maxBytes });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(requestTimeout(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([reading, late]);
  } catch (error) {
    if (error instanceof HttpError) {
      // Nothing more is read; the connection closes after the 408, which ends raw-body's read.
      req.pause();
      reading.catch(() => {});
      throw error;
    }
    const { type } = error as { type?: unknown };
    if (type === 'entity.too.large') throw payloadTooLarge(maxBytes);
    // Aborted, or the socket failed (a reset): either way nobody is left to answer.
    if (type === 'request.aborted' || type === undefined) throw new ClientGoneError();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** With `Connection: close`: the rest of the body is not waited for. */
function requestTimeout(timeoutMs: number): HttpError {
  return new HttpError(408, HttpErrorCodes.REQUEST_TIMEOUT, 'Request timeout', `The request body did not arrive within ${timeoutMs} ms.`, { Connection: 'close' });
}

/** With `Connection: close`: the unread rest of the body is dropped with the connection, not read. */
function payloadTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, HttpErrorCodes.PAYLOAD_TOO_LARGE, 'Payload too large', `The request body must be at most ${maxBytes} bytes.`, { Connection: 'close' });
}
