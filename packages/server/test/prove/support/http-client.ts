import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

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
