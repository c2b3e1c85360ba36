import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ProviderDescriptor, ProviderDialect } from '@llm-settings/core';

/**
 * Request headers the pass-through forwards: what the official SDKs send to shape the
 * call (content type, API version, idempotency key, their `x-stainless-*` telemetry and
 * user agent), and the allowed betas (see {@link BETA_HEADERS}). Everything else stays
 * here: the caller's credentials (`Authorization`, `x-api-key`: the app's token, never
 * the provider's key), cookies, forwarding and hop-by-hop headers, our own request id and
 * scope header, and the `OpenAI-Organization` / `OpenAI-Project` headers, which pick whom
 * the stored key bills: that choice belongs with the key, not with the caller.
 *
 * The telemetry headers are named one by one, not by their prefix: they say which SDK,
 * runtime and retry sent the call, which helps the provider's support and turns nothing
 * on; a future `x-stainless-*` header might, so it waits until it is looked at.
 */
const FORWARDED_REQUEST_HEADERS = new Set([
  'content-type',
  'accept',
  'user-agent',
  'idempotency-key',
  'anthropic-version',
  'x-stainless-arch',
  'x-stainless-helper',
  'x-stainless-helper-method',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
]);

/**
 * The headers that turn on provider features in beta, some of which act on the
 * provider's side with the tenant's key (fetching from the internet, running code):
 * forwarded with the allowed values only.
 */
export const BETA_HEADERS = ['anthropic-beta', 'openai-beta'] as const;

/** Which beta values pass, and where the dropped ones are reported. */
export interface BetaFilter {
  readonly allowed: ReadonlySet<string>;
  /** Called once per beta header that lost values, with those values. */
  dropped(header: string, values: readonly string[]): void;
}

/**
 * Response headers passed back: the content type, retry hints (both SDKs read
 * `retry-after`, `retry-after-ms` and `x-should-retry`), OpenAI's timings, and the
 * rate-limit headers under the provider's own prefixes (its descriptor's
 * `rateLimitHeaderPrefixes`) named in the providers' words (see {@link passedResponseHeaders}).
 * Not passed: cookies, `Location` (a redirect is not
 * followed, see the pass-through), lengths and encodings (the body is re-framed), and
 * the organization or workspace the key belongs to.
 */
const PASSED_RESPONSE_HEADERS = new Set(['content-type', 'retry-after', 'retry-after-ms', 'x-should-retry', 'openai-processing-ms', 'openai-version']);

/**
 * The name the provider's request id is answered under. Anthropic's `request-id`
 * passes as it is (its SDK reads it into `_request_id`). OpenAI's `x-request-id` would
 * replace ours, so it is renamed: X-Request-Id stays the one id of every answer of this
 * API (the client's own when it sent one, the id of our log line, which names the
 * provider's id too), and the provider's is in `X-Upstream-Request-Id`.
 */
export const ANSWERED_REQUEST_ID_HEADER: Readonly<Record<ProviderDialect, string>> = { anthropic: 'request-id', openai: 'x-upstream-request-id' };

/**
 * The headers of the upstream request: the forwarded ones, the allowed values of the beta
 * headers (each a comma list), the provider's fixed headers where the caller sent none,
 * the stored key in the provider's own header (none for a keyless provider), and
 * `Accept-Encoding: identity`, so that answers arrive uncompressed and each streamed event
 * can be passed on as soon as it arrives (one that comes encoded all the same is refused,
 * see {@link isEncodedAnswer}).
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, provider: ProviderDescriptor, apiKey: string, body: Buffer | null, betas: BetaFilter): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  // By the short list, not by the request's headers: Object.entries of Node's header
  // object is a runtime call that copies them all, on every call.
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = incoming[name];
    if (value !== undefined) headers[name] = value;
  }
  for (const name of BETA_HEADERS) {
    const value = incoming[name];
    if (typeof value !== 'string') continue;
    const values = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    const allowed = values.filter((entry) => betas.allowed.has(entry));
    if (allowed.length > 0) headers[name] = allowed.join(',');
    if (allowed.length < values.length) betas.dropped(name, values.filter((entry) => !betas.allowed.has(entry)));
  }
  for (const [name, value] of Object.entries(provider.fixedHeaders)) headers[name] ??= value;
  headers['accept-encoding'] = 'identity';
  if (provider.auth === 'bearer') headers.authorization = `Bearer ${apiKey}`;
  else if (provider.auth !== 'none') headers[provider.auth] = apiKey;
  if (body !== null) headers['content-length'] = body.length;
  return headers;
}

/**
 * The values of the caller's headers that may be forwarded (betas whether allowed or not):
 * text the caller itself sent, which leaving unscrubbed tells the caller nothing.
 */
export function forwardedHeaderValues(incoming: IncomingHttpHeaders): string[] {
  const values: string[] = [];
  for (const names of [FORWARDED_REQUEST_HEADERS, BETA_HEADERS]) {
    for (const name of names) {
      const value = incoming[name];
      if (typeof value === 'string') values.push(value);
      else if (value !== undefined) values.push(...value);
    }
  }
  return values;
}

/**
 * Whether an answer's body comes in a content coding (`gzip`, `br`, ...) or a transfer
 * coding other than `chunked`, though identity was asked for: its bytes are not the text
 * the key's echoes are searched in, nor the usage read from, and the client could decode
 * them. Such an answer is refused, not decoded: the providers honour the ask, and decoding
 * would put a decompressor (and its bombs) on the key's path for a misbehaving one.
 */
export function isEncodedAnswer(upstream: IncomingHttpHeaders): boolean {
  const contentCoding = upstream['content-encoding'];
  const transferCoding = upstream['transfer-encoding'];
  return (contentCoding !== undefined && !onlyCoding(contentCoding, 'identity')) || (transferCoding !== undefined && !onlyCoding(transferCoding, 'chunked'));
}

/** Whether every coding of a comma list (Node joins repeated headers into one) is `coding`; an empty value names none. */
function onlyCoding(value: string, coding: string): boolean {
  return value.split(',').every((entry) => {
    const name = entry.trim().toLowerCase();
    return name === '' || name === coding;
  });
}

/**
 * The words of the rate-limit header names the providers send after their prefix, joined
 * by `-` or `_`: OpenAI's, Groq's, xAI's, Azure's (`x-ratelimit-reset-tokens`,
 * `-limit-project-tokens`, `-remaining-tokens_usage_based`), Cerebras' and Mistral's
 * windows (`x-ratelimit-limit-requests-day`, `-remaining-req-minute`,
 * `-tokens-query-cost`), Together's and OpenRouter's (`x-ratelimit-reset`), Anthropic's
 * (`anthropic-ratelimit-input-tokens-remaining`) and its plans' unified limits
 * (`-unified-5h-utilization`, `-unified-7d_sonnet-reset`, `-unified-fallback-percentage`,
 * `-unified-representative-claim`, `-unified-overage-disabled-reason`).
 */
const RATE_LIMIT_WORD = '(?:requests|req|tokens|input|output|limit|remaining|reset|project|usage|based|query|cost|day|hour|minute|second|month|unified|status|utilization|fallback|percentage|representative|claim|overage|disabled|reason|5h|7d|sonnet|opus)';
const RATE_LIMIT_NAME = new RegExp(`${RATE_LIMIT_WORD}(?:[-_]${RATE_LIMIT_WORD})*$`, 'y');

/**
 * The provider's answer headers to pass back, under the names they are answered with,
 * each value through `scrub` (the stored key's echoes removed: a provider may echo the
 * key in any of them, at any status). A header under a rate-limit prefix passes only when
 * the rest of its name is made of {@link RATE_LIMIT_WORD}s: such a name is the same
 * whatever the key, so it holds none of it. Any other is left out, the key unlooked at: a
 * name cannot be scrubbed, and one left out only when it held part of the key would tell a
 * caller whose guess the provider quoted in it whether the guess was right.
 */
export function passedResponseHeaders(upstream: IncomingHttpHeaders, provider: ProviderDescriptor, scrub: (value: string) => string): Record<string, string> {
  const passed: Record<string, string> = {};
  // for...in, not Object.entries: no array of every header per call.
  for (const name in upstream) {
    const value = upstream[name];
    if (typeof value !== 'string') continue;
    if (PASSED_RESPONSE_HEADERS.has(name) || isRateLimitName(name, provider.rateLimitHeaderPrefixes)) passed[name] = value;
  }
  const requestId = upstream[provider.requestIdHeader];
  if (typeof requestId === 'string') passed[ANSWERED_REQUEST_ID_HEADER[provider.dialect]] = requestId;
  // One scrub of all the values, a newline apart (no echo spans whitespace), finds what
  // scrubbing each would, with one encoding and one pass instead of one per header; only
  // when it finds an echo is each value scrubbed on its own.
  const values = Object.values(passed).join('\n');
  if (scrub(values) === values) return passed;
  for (const name in passed) passed[name] = scrub(passed[name]!);
  return passed;
}

/** Whether `name` is one of `prefixes` then rate-limit words alone. */
function isRateLimitName(name: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) {
    if (!name.startsWith(prefix)) continue;
    RATE_LIMIT_NAME.lastIndex = prefix.length;
    if (RATE_LIMIT_NAME.test(name)) return true;
  }
  return false;
}
