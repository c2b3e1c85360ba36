import type { IncomingMessage } from 'node:http';
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
 * of its body is read.
 * @throws HttpError 413
 */
export function refuseDeclaredOversize(req: IncomingMessage, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw payloadTooLarge(maxBytes);
}

/**
 * The request body as received, bytes untouched, counted as they arrive: reading stops
 * at the first byte over `maxBytes`.
 * @throws HttpError 413 over the limit; ClientGoneError when the client disconnects first.
 */
export function readRequestBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      // The rest stays unread; the 413 closes the connection (see payloadTooLarge).
      req.pause();
      reject(payloadTooLarge(maxBytes));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      cleanup();
      reject(new ClientGoneError());
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
  });
}

/** With `Connection: close`: the unread rest of the body is dropped with the connection, not read. */
function payloadTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, HttpErrorCodes.PAYLOAD_TOO_LARGE, 'Payload too large', `The request body must be at most ${maxBytes} bytes.`, { Connection: 'close' });
}
