import {
  AnswerUsageReader,
  CallerText,
  isUsageCountedPath,
  KeyEchoScrubber,
  type KeyEchoStream,
  modelOfJsonRequest,
  type ProviderAuth,
  type ProviderDialect,
  type Secret,
  type UsageRecorder,
} from '@llm-settings/core';

/** Whose calls a client's fetch counts, and where it records them. */
export interface FetchUsage {
  readonly record: UsageRecorder;
  readonly scope: string;
  readonly provider: string;
  readonly dialect: ProviderDialect;
}

/**
 * Thrown by {@link guardedFetch} for a 3xx answer. The SDK hands it back as the
 * `cause` of its connection error.
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

/**
 * The fetch handed to the SDKs for one client or probe, at `baseUrl`:
 * - a request to another origin than `baseUrl`'s is refused unsent (OriginRefusedError):
 *   a client's base URL can be changed, and its methods take absolute URLs;
 * - the key, revealed here at send time (the client holds {@link API_KEY_PLACEHOLDER}),
 *   goes in the provider's own header only (`auth`), and no other credential header is
 *   sent: ANTHROPIC_CUSTOM_HEADERS can add an `Authorization` or `X-Api-Key` header that
 *   would replace the key, and the OpenAI SDK sends a Bearer header to providers that
 *   read `api-key` or nothing;
 * - redirects are not followed (a redirect would send the key to another host);
 * - the key's echoes are scrubbed from the answer's headers and body, whatever the
 *   status and streamed or not (core's KeyEchoScrubber, as the pass-through does), so
 *   that neither the SDK's results nor the errors it throws (which quote the provider's
 *   body and headers) hold any part of it. What this request itself sent is left as it is;
 * - with `usage`, each generating call (messages, chat completions, responses,
 *   embeddings), every attempt of it, is counted as the pass-through counts it: its status,
 *   and the usage read from the answer's bytes as the SDK reads them, recorded once their
 *   reading ends, whatever ends it (the last byte, a cancel, an abort, a failure).
 */
export function guardedFetch(apiKey: Secret, auth: ProviderAuth, baseUrl: string, usage: FetchUsage | null = null): typeof globalThis.fetch {
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
    let response: Response;
    try {
      response = await globalThis.fetch(input, { ...init, headers, redirect: 'manual' });
    } catch (error) {
      counter?.ended(null, null);
      throw error;
    }
    if (response.status >= 300 && response.status < 400) {
      counter?.ended(response.status, null);
      await response.body?.cancel();
      throw new RedirectRefusedError(response.status);
    }
    return scrubbed(response, new KeyEchoScrubber(key), new CallerText([body, ...url.searchParams.values(), ...sent]), counter);
  };
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

/** The answer with the key's echoes scrubbed from its headers and, as it arrives, its body. */
function scrubbed(response: Response, scrubber: KeyEchoScrubber, caller: CallerText, counter: CallCounter | null): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    // A scrub changes the body's length.
    if (name !== 'content-length') headers.append(name, scrubber.scrubText(value, caller));
  }
  const reader = counter?.readerFor(response) ?? null;
  const body =
    response.body === null || NULL_BODY_STATUSES.has(response.status)
      ? null
      : scrubbedBody(response.body, scrubber.stream(caller), reader, () => counter?.ended(response.status, reader));
  if (body === null || reader === null) counter?.ended(response.status, null);
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
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
