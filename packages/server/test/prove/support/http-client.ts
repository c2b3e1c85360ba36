import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

/** One request as sent. Methods, paths, header names and bodies are sent as given (node:http, not fetch). */
export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A string is sent as UTF-8; an object is sent as JSON with content-type application/json. */
  body?: string | Buffer | object;
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean;
  /** Past this, the request counts as hung and fails. @default 10000 */
  timeoutMs?: number;
  agent?: Agent;
}

/** One complete answer. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: IncomingHttpHeaders;
  /** The header block as received (names and values), for leak scans. */
  rawHeaders: string;
  text: string;
  /** Milliseconds from sending to the end of the body. */
  ms: number;
  json<T = any>(): T;
}

/** Sends one request and reads the whole answer; rejects on a transport error or after `timeoutMs`. */
export function send(baseUrl: string, spec: RequestSpec): Promise<Exchange> {
  const timeoutMs = spec.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { ...spec.headers };
  let body: Buffer | undefined;
  if (spec.body !== undefined) {
    if (typeof spec.body === 'string') body = Buffer.from(spec.body, 'utf8');
    else if (Buffer.isBuffer(spec.body)) body = spec.body;
    else {
      body = Buffer.from(JSON.stringify(spec.body), 'utf8');
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  // Set before the request exists: with an Expect header, Node sends the headers at once.
  if (body !== undefined && !spec.chunked) headers['content-length'] = String(body.length);
  // Explicit, because Node frames GET, HEAD and DELETE bodies only when told.
  if (body !== undefined && spec.chunked) headers['transfer-encoding'] = 'chunked';
  const started = performance.now();
  return new Promise<Exchange>((resolve, reject) => {
    // The path goes in the options, not the URL, so that it is sent byte for byte: a URL
    // would resolve `.` and `..` segments and backslashes before the server saw them.
    const req = request(
      baseUrl,
      { path: spec.path, method: spec.method, headers, agent: spec.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          clearTimeout(timer);
          if (!res.complete) return reject(Object.assign(new Error('incomplete response'), { code: 'ECONNRESET' }));
          const text = Buffer.concat(chunks).toString('utf8');
          const rawHeaders = res.rawHeaders.join('\n');
          resolve({
            method: spec.method,
            path: spec.path,
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders,
            text,
            ms: performance.now() - started,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'HUNG' })), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (body !== undefined && spec.chunked) {
      // Two writes so the body really travels in more than one chunk.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else {
      req.end(body);
    }
  });
}

/**
 * Writes `raw` on a connection of its own as it is (a request Node's own client would refuse
 * to send), and reads what comes back until the server closes: one answer, parsed.
 */
export function sendRaw(baseUrl: string, raw: string, timeoutMs = 10_000): Promise<Exchange> {
  const { hostname, port } = new URL(baseUrl);
  const [method = '', path = ''] = raw.split(' ', 2);
  const started = performance.now();
  return new Promise<Exchange>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`not closed within ${timeoutMs} ms`), { code: 'HUNG' })), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server closing on a request it refused may reset the connection after its answer: what came before counts.
    let failure: Error | undefined;
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      clearTimeout(timer);
      if (chunks.length === 0) return reject(failure ?? new Error('closed without an answer'));
      const received = Buffer.concat(chunks).toString('latin1');
      const split = received.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = received.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const text = Buffer.from(received.slice(split + 4), 'latin1').toString('utf8');
      resolve({ method, path, status: Number(statusLine.split(' ')[1]), headers, rawHeaders: lines.join('\n'), text, ms: performance.now() - started, json: () => JSON.parse(text) });
    });
    socket.end(raw);
  });
}

/** Every exchange of a test, for leak scans and figures. */
export class Transcript {
  readonly exchanges: Exchange[] = [];

  /** Sends and records. */
  async send(baseUrl: string, spec: RequestSpec): Promise<Exchange> {
    const exchange = await send(baseUrl, spec);
    this.exchanges.push(exchange);
    return exchange;
  }

  /** Response headers and bodies, as one text. */
  text(): string {
    return this.exchanges.map((e) => `${e.status}\n${e.rawHeaders}\n\n${e.text}`).join('\n----\n');
  }
}
