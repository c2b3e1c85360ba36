import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@llm-settings/core';
import { API_CSP } from './common-headers.js';
import { HttpErrorCodes, PROBLEM_CONTENT_TYPE, problemTypeFor, type HttpErrorCode, type ProblemDetails } from './problems.js';
import { REQUEST_ID_HEADER } from './request-log.js';

type Refusal = readonly [status: number, code: HttpErrorCode, detail: string];

/** What Node's parser refused, by its error code (Node answers the same statuses, bare). */
const REFUSALS: Readonly<Record<string, Refusal>> = {
  HPE_HEADER_OVERFLOW: [431, HttpErrorCodes.HEADERS_TOO_LARGE, "The request's headers are over the server's limit."],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, HttpErrorCodes.PAYLOAD_TOO_LARGE, "The request's chunk extensions are over the server's limit."],
  ERR_HTTP_REQUEST_TIMEOUT: [408, HttpErrorCodes.REQUEST_TIMEOUT, 'The request did not arrive whole in time.'],
};
const MALFORMED: Refusal = [400, HttpErrorCodes.MALFORMED_REQUEST, 'The request is not well-formed HTTP.'];

/**
 * The `clientError` listener for a Node HTTP server that runs the app. A request Node's
 * parser refuses (malformed, headers over its limit, too slow to arrive) never reaches
 * Koa, and Node would answer it with a bare status line: this answers the same status
 * as a problem, with the headers every answer carries and a request id, logs it like a
 * request (that id, the status and the code; nothing the client sent, which may hold a
 * token), and closes the connection. A connection that has already sent bytes may be
 * in the middle of an answer, which anything written would corrupt: it is closed unanswered.
 */
export function clientErrorListener(logger: Logger): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    const sentBefore = 'bytesWritten' in socket && Number(socket.bytesWritten) > 0;
    if (error.code === 'ECONNRESET' || !socket.writable || sentBefore) {
      socket.destroy();
      return;
    }
    const [status, code, detail] = REFUSALS[error.code ?? ''] ?? MALFORMED;
    const requestId = randomUUID();
    const title = STATUS_CODES[status] ?? 'Bad Request';
    const problem: ProblemDetails = { type: problemTypeFor(code), title, status, detail, code };
    const body = JSON.stringify(problem);
    const head = [
      `HTTP/1.1 ${status} ${title}`,
      `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      `Content-Security-Policy: ${API_CSP}`,
      `${REQUEST_ID_HEADER}: ${requestId}`,
      'Connection: close',
    ];
    // Once written, closed: nothing more is read from a connection whose framing is lost.
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
    logger.info({ request_id: requestId, method: null, route: null, status, error_code: code }, 'http request refused by the parser');
  };
}
