import {
  AnswerUsageReader,
  CallerText,
  isUsageCountedPath,
  KeyEchoScrubber,
  type KeyEchoStream,
  modelOfJsonRequest,
  providerErrorBody,
  type ProviderAuth,
  type ProviderDialect,
  type Secret,
  type UsageRecorder,
} from '@llm-settings/core';
import { MAX_TIMER_MS } from './deadline.js';

/** Whose calls a client's fetch counts, and where it records them. */
export interface FetchUsage {
  readonly record: UsageRecorder;
  readonly scope: string;
  readonly provider: string;
  readonly dialect: ProviderDialect;
}

/**
 * Thrown by the probe's {@link guardedFetch} for a 3xx answer; the SDK hands it back as the
 * `cause` of its connection error. A client's is answered instead (see {@link refusedAnswer}).
 */
export class RedirectRefusedError extends Error {
  readonly status: number;

  constructor(status: number) {
    super(`The provider answered with HTTP ${status}; redirects are not followed.`);
    this.name = 'RedirectRefusedError';
    this.status = status;
  }
}

/**
 * Thrown by {@link guardedFetch}, before anything is sent, for a request to another origin
 * than the provider's (a `baseURL` changed with `withOptions`, an absolute URL given to
 * `client.get`): the key goes to its provider's origin only. The SDK hands it back as the
 * `cause` of its connection error.
 */
export class OriginRefusedError extends Error {
  constructor() {
    super("The request was addressed to another origin than the provider's; it was not sent, and the key went nowhere.");
    this.name = 'OriginRefusedError';
  }
}

/**
 * Thrown by the probe's {@link guardedFetch} for an answer whose body fetch leaves encoded:
 * a transfer coding other than `chunked`, or a content coding it does not decode (fetch
 * decodes `gzip`, `deflate` and `br`, and leaves the body as it came when any coding of the
 * list is another). The key's echoes could not be found in such bytes, which the caller
 * could decode. The SDK hands it back as the `cause` of its connection error. A client's is
 * answered instead (see {@link refusedAnswer}).
 */
export class EncodingRefusedError extends Error {
  constructor() {
    super('The provider answered in an encoding that fetch does not decode; the answer was not read.');
    this.name = 'EncodingRefusedError';
  }
}

/**
 * How long one attempt may take, its answer's body included, when the client names no
 * time: the SDKs' own default.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 600_000;

/** Every header a provider reads a key from. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'] as const;

/**
 * What the SDKs are given as their API key: they demand one, and keep it in the client
 * object (`client.apiKey`, `client._options`), where a printed client or a debug log
 * would show it. {@link guardedFetch} puts the real key in its place at send time.
 */
export const API_KEY_PLACEHOLDER = 'llm-settings-key-added-at-send-time';

/** Statuses whose answers have no body, which a Response cannot be built with. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The content codings fetch (undici) decodes, in every Node version this package supports. */
const DECODED_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/**
 * The fetch handed to the SDKs for one client or probe, at `baseUrl`:
 * - a request to another origin than `baseUrl`'s is refused unsent (OriginRefusedError):
 *   a client's base URL can be changed, and its methods take absolute URLs;
 * - the key, revealed here at send time (the client holds {@link API_KEY_PLACEHOLDER}),
 *   goes in the provider's own header only (`auth`), and no other credential header is
 *   sent: ANTHROPIC_CUSTOM_HEADERS can add an `Authorization` or `X-Api-Key` header that
 *   would replace the key, and the OpenAI SDK sends a Bearer header to providers that
 *   read `api-key` or nothing;
 * - redirects are not followed (a redirect would send the key to another host), nor is an
 *   answer read whose body fetch leaves encoded: with `refusalsAnsweredIn` (a client's),
 *   the SDK gets one 502 in that dialect's error shape that it does not retry (see
 *   {@link refusedAnswer}); without (the probe's and the lister's, which make no retry and
 *   read why from the error), RedirectRefusedError or EncodingRefusedError is thrown;
 * - each attempt ends within `timeoutMs`, its answer's body included (the SDKs' own
 *   timeout ends only the wait for the headers): a body or event stream that stalls fails
 *   with a `TimeoutError`. The timer is cleared when the answer ends, whatever ends it;
 * - the key's echoes are scrubbed from the answer's header values, status text and body,
 *   whatever the status and streamed or not (core's KeyEchoScrubber, as the pass-through
 *   does), and a header whose name holds one is left out (names come lower-cased, so they
 *   are judged by the key lower-cased, see {@link lowerCaseScrub}), so that neither the
 *   SDK's results nor the errors it throws (which quote the provider's body and headers)
 *   hold any part of it. What this request itself sent is left as it is;
 * - with `usage`, each generating call (messages, chat completions, responses,
 *   embeddings), every attempt of it, is counted as the pass-through counts it: its status,
 *   and the usage read from the answer's bytes as the SDK reads them, recorded once their
 *   reading ends, whatever ends it (the last byte, a cancel, an abort, a failure).
 */
export function guardedFetch(
  apiKey: Secret,
  auth: ProviderAuth,
  baseUrl: string,
  usage: FetchUsage | null = null,
  timeoutMs: number = DEFAULT_ATTEMPT_TIMEOUT_MS,
  refusalsAnsweredIn: ProviderDialect | null = null,
): typeof globalThis.fetch {
  const origin = new URL(baseUrl).origin;
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.origin !== origin) throw new OriginRefusedError();
    const key = apiKey.reveal();
    const headers = new Headers(init.headers);
    const sent = [...headers.values()];
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    if (auth === 'bearer') headers.set('authorization', `Bearer ${key}`);
    else if (auth !== 'none') headers.set(auth, key);
    const body = typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : null;
    const counter = usage !== null && isUsageCountedPath(url.pathname) ? new CallCounter(usage, body) : null;
    const deadline = new AttemptDeadline(timeoutMs, init.signal ?? (input instanceof Request ? input.signal : null));
    let response: Response;
    try {
      response = await globalThis.fetch(input, { ...init, headers, redirect: 'manual', signal: deadline.signal });
    } catch (error) {
      deadline.clear();
      counter?.ended(null, null);
      throw error;
    }
    const refusal = response.status >= 300 && response.status < 400 ? new RedirectRefusedError(response.status) : leftEncoded(response.headers) ? new EncodingRefusedError() : null;
    if (refusal !== null) {
      deadline.clear();
      counter?.ended(response.status, null);
      await response.body?.cancel();
      if (refusalsAnsweredIn === null) throw refusal;
      return refusedAnswer(refusalsAnsweredIn, refusal.message);
    }
    const callerParts = [body, ...url.searchParams.values(), ...sent];
    const echo = { scrubber: new KeyEchoScrubber(key), caller: new CallerText(callerParts), scrubName: lowerCaseScrub(key, callerParts) };
    return scrubbed(response, echo, counter, deadline);
  };
}

/**
 * One attempt's deadline, its answer's body included, joined with the caller's signal
 * (the SDK's own, which its timeout and the caller's abort use): the fetch, and with it
 * the body's stream, is aborted by whichever comes first. The timer is unref'd, so that
 * an answer nobody reads to its end keeps no process alive.
 */
class AttemptDeadline {
  readonly signal: AbortSignal;
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number, callerSignal: AbortSignal | null) {
    const controller = new AbortController();
    const abort = () => controller.abort(new DOMException(`The provider's answer did not end within ${timeoutMs} ms.`, 'TimeoutError'));
    this.timer = setTimeout(abort, Math.min(timeoutMs, MAX_TIMER_MS)).unref();
    this.signal = callerSignal === null ? controller.signal : AbortSignal.any([callerSignal, controller.signal]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * What a client's SDK gets for a refused answer: a thrown fetch is a connection error, which
 * the SDKs retry (twice by default), and the provider would answer each retry, billed, the
 * same way. So: one 502 with `x-should-retry: false`, which the SDKs obey, and the refusal's
 * fixed message in the dialect's error body, which they raise as an APIError; nothing of the
 * provider's answer.
 */
function refusedAnswer(dialect: ProviderDialect, message: string): Response {
  return new Response(JSON.stringify(providerErrorBody(dialect, 502, message, null)), { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'application/json', 'x-should-retry': 'false' } });
}

/** Whether fetch left the body encoded: see {@link EncodingRefusedError}. */
function leftEncoded(headers: Headers): boolean {
  const transferCodings = headers.get('transfer-encoding');
  if (transferCodings !== null && !transferCodings.split(',').every((coding) => coding.trim().toLowerCase() === 'chunked')) return true;
  const contentCodings = headers.get('content-encoding')?.trim().toLowerCase() ?? '';
  // `identity` alone is no coding; in a list, fetch knows it no more than any other it does not decode.
  return contentCodings !== '' && contentCodings !== 'identity' && !contentCodings.split(',').every((coding) => DECODED_CODINGS.has(coding.trim()));
}

/** The key's echo finder for one answer, and what the request sent (see core's KeyEchoScrubber). */
interface KeyEcho {
  readonly scrubber: KeyEchoScrubber;
  readonly caller: CallerText;
  /** For header names, which come lower-cased: see {@link lowerCaseScrub}. */
  readonly scrubName: (name: string) => string;
}

/**
 * A scrub of lower-cased text: by the key lower-cased, leaving what the request sent
 * lower-cased too (so that text the caller sent still decides nothing), each part as it
 * was sent and, for a JSON body, its strings as the provider reads them, decoded before
 * they are lower-cased: the provider reads a `\u0054` the caller sent as `T`, which a name
 * quoting it has as `t`.
 */
function lowerCaseScrub(key: string, callerParts: ReadonlyArray<string | Uint8Array | null>): (text: string) => string {
  let scrubber: KeyEchoScrubber | undefined;
  const caller = new CallerText(() => callerParts.flatMap((part) => (part === null ? [] : lowerCasedTexts(typeof part === 'string' ? part : new TextDecoder().decode(part)))));
  return (text) => (scrubber ??= new KeyEchoScrubber(key.toLowerCase())).scrubText(text, caller);
}

/** `text` lower-cased and, when it is JSON with escapes, its names and strings decoded, then lower-cased. */
function lowerCasedTexts(text: string): string[] {
  if (!text.includes('\\')) return [text.toLowerCase()];
  const strings: string[] = [];
  try {
    JSON.parse(text, (name, value: unknown) => {
      strings.push(name);
      if (typeof value === 'string') strings.push(value);
      return value;
    });
  } catch {
    return [text.toLowerCase()];
  }
  return [text.toLowerCase(), strings.join('\n').toLowerCase()];
}

/** One counted call: recorded once, with the usage its answer reported. */
class CallCounter {
  private recorded = false;

  constructor(
    private readonly usage: FetchUsage,
    private readonly requestBody: string | Uint8Array | null,
  ) {}

  /** A reader of a 2xx answer's usage, or null for another status (which reports none). */
  readerFor(response: Response): AnswerUsageReader | null {
    return response.status >= 200 && response.status < 300 ? new AnswerUsageReader(this.usage.dialect, response.headers.get('content-type')) : null;
  }

  ended(status: number | null, reader: AnswerUsageReader | null): void {
    if (this.recorded) return;
    this.recorded = true;
    const { model, usage } = reader?.end() ?? { model: null, usage: null };
    const body = this.requestBody;
    this.usage.record({
      scope: this.usage.scope,
      provider: this.usage.provider,
      model: model ?? (body === null ? null : modelOfJsonRequest(typeof body === 'string' ? body : new TextDecoder().decode(body))),
      status,
      usage,
    });
  }
}

/**
 * The answer with the key's echoes scrubbed from its headers and status text and, as it
 * arrives, its body; the call counted and its deadline cleared once the body ends.
 */
function scrubbed(response: Response, { scrubber, caller, scrubName }: KeyEcho, counter: CallCounter | null, deadline: AttemptDeadline): Response {
  const headers = new Headers();
  // One scrub of all the names, a newline apart (no echo spans whitespace); each on its own only when it finds one.
  const names = [...response.headers.keys()].join('\n');
  const someNameEchoes = scrubName(names) !== names;
  for (const [name, value] of response.headers) {
    // A scrub changes the body's length; a name cannot be scrubbed, only left out.
    if (name !== 'content-length' && !(someNameEchoes && scrubName(name) !== name)) headers.append(name, scrubber.scrubText(value, caller));
  }
  const reader = counter?.readerFor(response) ?? null;
  const ended = () => {
    deadline.clear();
    counter?.ended(response.status, reader);
  };
  const body = response.body === null || NULL_BODY_STATUSES.has(response.status) ? null : scrubbedBody(response.body, scrubber.stream(caller), reader, ended);
  if (body === null) deadline.clear();
  if (body === null || reader === null) counter?.ended(response.status, null);
  return new Response(body, { status: response.status, statusText: scrubber.scrubText(response.statusText, caller), headers });
}

/**
 * The body as the SDK reads it, a chunk per read (so that the caller waits for nothing
 * more), scrubbed and read for usage. `ended` is called whatever ends it, at least once:
 * its last byte read, the caller cancelling it, or its source failing, which an abort of
 * the request (a `break` out of the SDK's stream, `controller.abort()`, the caller's
 * signal) does even when nothing is reading.
 */
function scrubbedBody(source: ReadableStream<Uint8Array>, echo: KeyEchoStream, reader: AnswerUsageReader | null, ended: () => void): ReadableStream<Uint8Array> {
  const chunks = source.getReader();
  chunks.closed.catch(ended);
  const passed = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array): boolean => {
    reader?.push(bytes);
    if (bytes.length > 0) controller.enqueue(bytes);
    return bytes.length > 0;
  };
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        // A scrubbed chunk can be empty (the scrubber holds back what may start a key): read on until one is not.
        let next = await chunks.read();
        while (!next.done && !passed(controller, echo.push(next.value))) next = await chunks.read();
        if (next.done) {
          passed(controller, echo.end());
          ended();
          controller.close();
        }
      },
      cancel: (reason) => {
        ended();
        return chunks.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
