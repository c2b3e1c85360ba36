import type { ProtectedRoutes } from './protected-routes.js';
import {
  apiRootProblem,
  CallerText,
  ConfigError,
  DEFAULT_PROVIDER_REGISTRY,
  DEFAULT_SCOPE,
  isUsageCountedPath,
  KeyEchoScrubber,
  redactText,
  scrubKeyFromLogText,
  silentLogger,
  type LlmProvider,
  type Logger,
  type PassThroughPathName,
  type ProviderDescriptor,
  type ProviderDialect,
  type ProviderRegistry,
  type UsageRecorder,
} from '@llm-settings/core';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { pipeline, Transform } from 'node:stream';
import type { ParsedUrlQuery } from 'node:querystring';
import type { Middleware, ParameterizedContext } from 'koa';
import type { AppContext, AppState, LlmCallFacts, ScopeState } from './app-state.js';
import { forwardedHeaderValues, isEncodedAnswer, passedResponseHeaders, upstreamRequestHeaders, type BetaFilter } from './forwarded-headers.js';
import { InFlightLimit } from './in-flight-limit.js';
import { LlmCallMeter } from './llm-call-meter.js';
import { LlmCallUsage } from './llm-call-usage.js';
import { NO_OBSERVER, type HttpObserver } from './observer.js';
import { notJson } from './json-body.js';
import { isJsonAnswer, isJsonRequest } from './json-type.js';
import { HttpError, HttpErrorCodes } from './problems.js';
import { ClientGoneError, readRequestBytes, refuseDeclaredOversize } from './request-bytes.js';
import { mayInScope } from './route-state.js';
import type { HttpSettingsService } from './settings-routes.js';
import { errorAnswerFor, MAX_ERROR_BODY_BYTES, passesErrorBody, type ErrorAnswer } from './upstream-error-body.js';
import { refusedAnswer, UpstreamCall } from './upstream-call.js';
import { ResponseClose } from './response-close.js';

/** Ten minutes: a long completion can take minutes. */
export const DEFAULT_LLM_TIMEOUT_MS = 600_000;
/** 10 MiB: image inputs make LLM requests large. */
export const DEFAULT_LLM_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** 30 s: an SDK sends its body at once; this is for slow links, not for slow clients. */
export const DEFAULT_LLM_BODY_TIMEOUT_MS = 30_000;
/** About 512 sockets (one to the client, one to the provider per call), half of a common ulimit of 1024. */
export const DEFAULT_LLM_MAX_IN_FLIGHT = 256;
/** One scope (a tenant) cannot take more than an eighth of the calls. */
export const DEFAULT_LLM_MAX_IN_FLIGHT_PER_SCOPE = 32;
/** A beta name as the providers spell them (`prompt-caching-2024-07-31`, `assistants=v2`). */
const BETA_NAME = /^[A-Za-z0-9._=-]{1,128}$/;
/** Dropped beta values in a log line: at most this many, each cut to {@link LOGGED_BETA_LENGTH} characters (they are the caller's text). */
const LOGGED_BETAS = 8;
const LOGGED_BETA_LENGTH = 64;

/** The LLM pass-through: the provider APIs, called with the key stored for the request's scope. */
export interface LlmPassThroughOptions {
  /**
   * API roots by provider id, as the SDKs take them, over the registry's: Anthropic's
   * without a path (`https://api.anthropic.com`), an OpenAI-dialect one ending where
   * `/chat/completions` appends (`https://api.openai.com/v1`).
   * @default the registry's roots
   */
  baseUrls?: Readonly<Record<string, string | undefined>>;
  /**
   * The providers served: every enabled one gets its descriptor's routes under
   * `/api/llm/<id>`, its key sent in its own header.
   * @default the app's providers (the service's registry, else Anthropic and OpenAI)
   */
  providers?: ProviderRegistry;
  /**
   * Upper bound of one call, streamed answers included: 504 before the answer is sent on
   * (a JSON answer once it is whole), a cut connection after.
   * @default 600000
   */
  timeoutMs?: number;
  /**
   * Largest request body forwarded, in bytes; larger ones get 413.
   * @default 10485760 (10 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Time to receive a request body whole; a slower one gets 408 and nothing is sent on.
   * @default 30000
   */
  bodyTimeoutMs?: number;
  /**
   * Calls in flight at once, streams included; more get 429 with Retry-After. Each holds
   * two sockets (two file descriptors) until it ends.
   * @default 256
   */
  maxInFlight?: number;
  /**
   * Calls in flight at once for one scope (`LLM-Settings-Scope`), so that one tenant cannot
   * take every slot; more get 429 with Retry-After.
   * @default 32
   */
  maxInFlightPerScope?: number;
  /**
   * The beta values forwarded in `anthropic-beta` and `openai-beta` (each a comma list;
   * other values are dropped, with a debug log line): betas can turn on provider-side
   * tools, such as web fetch, that act with the tenant's key.
   * @default [] (no beta header is forwarded)
   */
  allowedBetas?: readonly string[];
}

/** Whole (not streamed) answers up to this size are read before they are sent on. */
export const WHOLE_ANSWER_MAX_BYTES = 256 * 1024;

/** The path prefix of the pass-through: `/api/llm/<provider>` is the provider's API root. */
export const LLM_PATH_PREFIX = '/api/llm';

/** One forwarded endpoint, by its path under the provider's `/v1`. */
export interface PassThroughRoute {
  provider: LlmProvider;
  /** The provider's wire protocol: its SDK, error shape and request id header. */
  dialect: ProviderDialect;
  method: 'GET' | 'POST';
  /** The provider's path, `/v1/...`; answered at `/api/llm/<provider>/v1/...`. */
  path: string;
  /** Query parameters forwarded (the model lists' paging); others are dropped. */
  query: readonly string[];
  /** Whether the endpoint streams server-sent events when the body says `"stream": true`. */
  streams: boolean;
  summary: string;
}

const MODEL_LIST_QUERY = ['limit', 'after_id', 'before_id'];

/** How each forwardable path is called, and what it is, for a provider named `name`. */
const ROUTE_SHAPES: Readonly<Record<PassThroughPathName, Omit<PassThroughRoute, 'provider' | 'dialect' | 'path' | 'summary'> & { summary: (name: string) => string }>> = {
  '/v1/messages': { method: 'POST', query: [], streams: true, summary: (name) => `${name} Messages, streamed or not.` },
  '/v1/messages/count_tokens': { method: 'POST', query: [], streams: false, summary: (name) => `${name} token counting.` },
  '/v1/chat/completions': { method: 'POST', query: [], streams: true, summary: (name) => `${name} Chat Completions, streamed or not.` },
  '/v1/responses': { method: 'POST', query: [], streams: true, summary: (name) => `${name} Responses, streamed or not.` },
  '/v1/embeddings': { method: 'POST', query: [], streams: false, summary: (name) => `${name} embeddings.` },
  '/v1/models': { method: 'GET', query: MODEL_LIST_QUERY, streams: false, summary: (name) => `${name} model list.` },
};

/** The routes of one provider, as its descriptor lists them. */
function routesOf(descriptor: ProviderDescriptor): PassThroughRoute[] {
  return descriptor.routes.map((path) => {
    const { summary, ...shape } = ROUTE_SHAPES[path];
    return { provider: descriptor.id, dialect: descriptor.dialect, path, ...shape, summary: summary(descriptor.displayName) };
  });
}

/** Everything the pass-through forwards for the registry's enabled providers; any other path is a 404, as everywhere. */
export function passThroughRoutes(providers: ProviderRegistry): PassThroughRoute[] {
  return providers.enabled().flatMap(routesOf);
}

/** The routes of the default providers, Anthropic's and OpenAI's. */
export const PASS_THROUGH_ROUTES: readonly PassThroughRoute[] = passThroughRoutes(DEFAULT_PROVIDER_REGISTRY);

/** The path a route answers at. */
export function passThroughPath(route: PassThroughRoute): string {
  return `${LLM_PATH_PREFIX}/${route.provider}${route.path}`;
}

/**
 * Registers the pass-through routes, each provider's on `routesOf(provider)`. Each answers
 * with the provider's own answer (status, body and the headers that matter), the body
 * streamed as it arrives; the caller never sees the key, and the provider never sees the
 * caller's credentials.
 * @throws ConfigError when an option cannot be used.
 */
export function registerLlmPassThrough(
  routesOf: (provider: LlmProvider) => ProtectedRoutes,
  service: Pick<HttpSettingsService, 'resolve'>,
  options: LlmPassThroughOptions,
  logger: Logger = silentLogger,
  observer: HttpObserver = NO_OBSERVER,
  recordUsage: UsageRecorder | null = null,
): void {
  const timeoutMs = positiveInteger(options.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS, 'llm.timeoutMs');
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? DEFAULT_LLM_MAX_BODY_BYTES, 'llm.maxBodyBytes');
  const bodyTimeoutMs = positiveInteger(options.bodyTimeoutMs ?? DEFAULT_LLM_BODY_TIMEOUT_MS, 'llm.bodyTimeoutMs');
  const inFlight = new InFlightLimit(
    positiveInteger(options.maxInFlight ?? DEFAULT_LLM_MAX_IN_FLIGHT, 'llm.maxInFlight'),
    positiveInteger(options.maxInFlightPerScope ?? DEFAULT_LLM_MAX_IN_FLIGHT_PER_SCOPE, 'llm.maxInFlightPerScope'),
  );
  const allowedBetas = betaNames(options.allowedBetas ?? []);
  const providers = options.providers ?? DEFAULT_PROVIDER_REGISTRY;

  for (const route of passThroughRoutes(providers)) {
    const descriptor = providers.get(route.provider);
    // Own properties only: a provider id such as `constructor` is every object's too.
    const override = options.baseUrls !== undefined && Object.hasOwn(options.baseUrls, route.provider) ? options.baseUrls[route.provider] : undefined;
    const root = apiRoot(override ?? providers.baseUrl(route.provider), route.provider);
    // An OpenAI-dialect root already ends where the dialect's /v1 does (`/v1`, `/api/v1`, `/v1beta/openai`).
    const upstreamPath = route.dialect === 'openai' ? route.path.slice('/v1'.length) : route.path;
    const target = `${root}${upstreamPath}`;
    // Parsed once for a route that forwards no query (every POST route); never changed after.
    const fixedUrl = route.query.length === 0 ? new URL(target) : null;
    const countsUsage = recordUsage !== null && isUsageCountedPath(route.path);
    const handler = async (ctx: ParameterizedContext<AppState & ScopeState>) => {
      const { scope } = ctx.state;
      const facts: LlmCallFacts = { provider: route.provider, scope: scope ?? DEFAULT_SCOPE, upstreamRequestId: null };
      ctx.state.llm = facts;
      // First: a call waiting for its body or its settings holds its sockets too.
      const meter = new LlmCallMeter(observer, route.provider, route.path, ctx.state.span);
      const closing = new ResponseClose(ctx.res, ctx.req);
      try {
        inFlight.enter(facts.scope, closing, meter);
      } catch (error) {
        observer.llmRefused(route.provider, route.path);
        throw error;
      }
      // Only JSON, which a page of another site cannot send without a CORS preflight.
      if (route.method === 'POST' && !isJsonRequest(ctx)) throw notJson();
      if (route.method === 'POST') refuseDeclaredOversize(ctx.req, maxBodyBytes);
      const settings = await service.resolve(scope === undefined ? {} : { scope });
      if (settings.provider !== route.provider) throw providerMismatch(settings.provider);
      const body = route.method === 'POST' ? await readRequestBytes(ctx.req, maxBodyBytes, bodyTimeoutMs) : null;
      const apiKey = settings.apiKey.reveal();
      const call = new UpstreamCall(ctx.res, closing, timeoutMs);
      const url = fixedUrl ?? upstreamUrl(target, route.query, ctx.query);
      // Each read of a message's `headers` is a megamorphic look-up (about 700 instructions): read once.
      const requestHeaders = ctx.req.headers;
      const headers = upstreamRequestHeaders(requestHeaders, descriptor, apiKey, body, betaFilter(allowedBetas, logger, ctx));
      meter.sending(route.method, body);
      // Counted from here, failures included; recorded once the answer closes, whatever ends it.
      const usage = countsUsage ? new LlmCallUsage(recordUsage!, facts.scope, route.provider, route.dialect, body, settings.model) : null;
      if (usage !== null) closing.add(() => usage.ended());
      const answer = await call.send({ method: route.method, url, headers, body });
      const answerHeaders = answer.headers;
      meter.answered(answer.statusCode ?? 502);
      usage?.answered(answer.statusCode ?? 502, answerHeaders['content-type']);
      const requestId = answerHeaders[descriptor.requestIdHeader];
      // For the log line, written once the answer closes: checked and scrubbed then, off the
      // answer's path (this close callback runs before the request log's, added after it).
      if (typeof requestId === 'string') {
        closing.add(() => {
          ctx.state.llm = { ...facts, upstreamRequestId: loggableRequestId(requestId, apiKey) };
        });
      }
      // What the caller sent is listed only when an answer holds part of the key, which is rare.
      const echo: KeyEcho = {
        scrubber: new KeyEchoScrubber(apiKey),
        caller: new CallerText(() => [body, ...url.searchParams.values(), ...forwardedHeaderValues(requestHeaders)]),
      };
      await passAnswer(ctx, descriptor, answer, answerHeaders, call, echo, meter, usage);
    };
    const router = routesOf(route.provider);
    if (route.method === 'GET') router.get<ScopeState>(passThroughPath(route), clientGoneAs499, mayInScope('use'), handler);
    else router.post<ScopeState>(passThroughPath(route), clientGoneAs499, mayInScope('use'), handler);
  }
}

/**
 * Around each pass-through route: a client gone is a 499, not a problem. Whether the SDK
 * should retry any other error is said by the problem middleware, which also answers the
 * refusals made before or without a route.
 */
const clientGoneAs499: Middleware<AppState> = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    if (error instanceof ClientGoneError) return clientGone(ctx);
    throw error;
  }
};

/** The stored key's echo finder for one call, and what the caller sent in it (see core's KeyEchoScrubber). */
interface KeyEcho {
  readonly scrubber: KeyEchoScrubber;
  readonly caller: CallerText;
}

/**
 * Sends the provider's answer on: a JSON answer whole (the client can use none of it
 * before its end), read first and sent as one buffer, which costs the server far less
 * than piping it (about 250 µs per call here); any other 2xx (an event stream) as it
 * arrives, its headers sent at once; an error read whole and made safe (see
 * upstream-error-body.ts). A redirect is not followed, nor passed on, since the SDK would
 * follow it with the caller's token; an encoded body is refused where it would be passed
 * on (see isEncodedAnswer), not where a fixed answer replaces it. Both refusals tell the
 * SDK not to retry ({@link refusedAnswer}). The stored key's echoes are scrubbed from every
 * header and body passed on, whatever the status: a provider may echo the key anywhere.
 */
async function passAnswer(
  ctx: AppContext,
  provider: ProviderDescriptor,
  answer: IncomingMessage,
  answerHeaders: IncomingHttpHeaders,
  call: UpstreamCall,
  echo: KeyEcho,
  meter: LlmCallMeter,
  usage: LlmCallUsage | null,
): Promise<void> {
  const status = answer.statusCode ?? 502;
  if (status >= 300 && status < 400) {
    answer.destroy();
    throw refusedAnswer(`The provider answered with a redirect (${status}), which is not followed.`);
  }
  const encoded = isEncodedAnswer(answerHeaders);
  const headers = passedResponseHeaders(answerHeaders, provider, (value) => echo.scrubber.scrubText(value, echo.caller));
  const { response } = ctx;
  if (status >= 200 && status < 300) {
    if (encoded) throw refusedEncoding(answer);
    response.status = status;
    response.set(headers);
    // JSON first: it is most answers, and needs no other type check (each is a parse of the type).
    if (!isJsonAnswer(ctx)) {
      downloadUnlessJsonOrEvents(ctx);
      pipeOn(ctx, answer, [], echo, meter, usage);
      // An event stream's headers go at once, so that the caller sees it start before its
      // first event; with that event, in one write, when it came with them.
      if (response.is('text/event-stream') && answer.readableLength === 0) ctx.res.flushHeaders();
      return;
    }
    const body = await call.readUpTo(answer, WHOLE_ANSWER_MAX_BYTES);
    if ('whole' in body) {
      const whole = asBuffer(echo.scrubber.scrubBytes(body.whole, echo.caller));
      meter.passedOn(whole.length);
      usage?.passed(whole);
      response.body = whole;
    } else pipeOn(ctx, answer, body.head, echo, meter, usage);
    return;
  }
  const safe = encoded ? fixedErrorAnswer(provider, status, answer) : await errorAnswer(provider, status, answer, headers['content-type'], call, echo);
  response.status = status;
  response.set({ ...headers, 'content-type': safe.contentType });
  downloadUnlessJsonOrEvents(ctx);
  response.body = safe.text;
  meter.passedOn(Buffer.byteLength(safe.text));
}

/** An error answer, read whole and made safe (see upstream-error-body.ts). */
async function errorAnswer(provider: ProviderDescriptor, status: number, answer: IncomingMessage, contentType: string | undefined, call: UpstreamCall, echo: KeyEcho): Promise<ErrorAnswer> {
  const body = await call.readUpTo(answer, MAX_ERROR_BODY_BYTES);
  if ('head' in body) answer.destroy();
  return errorAnswerFor(provider.dialect, status, 'whole' in body ? body.whole : null, contentType, (text) => echo.scrubber.scrubText(text, echo.caller));
}

/** The answer to an encoded error answer, unread: the fixed one that replaces the body at this status (a 401's, a 403's), else a refusal. */
function fixedErrorAnswer(provider: ProviderDescriptor, status: number, answer: IncomingMessage): ErrorAnswer {
  if (passesErrorBody(status)) throw refusedEncoding(answer);
  answer.destroy();
  return errorAnswerFor(provider.dialect, status, Buffer.alloc(0), undefined, (text) => text);
}

/** The refusal of a body encoded though identity was asked for: its bytes are never read. */
function refusedEncoding(answer: IncomingMessage): HttpError {
  answer.destroy();
  return refusedAnswer('The provider answered with an encoded (compressed) body though none was asked for, which is not passed on.');
}

/**
 * An answer of another type than JSON or an event stream (HTML, SVG, ...) goes as an
 * opaque download: a browser pointed at the pass-through must not render what a
 * provider (or whoever answers in its place) sent, under this server's origin.
 */
function downloadUnlessJsonOrEvents(ctx: AppContext): void {
  if (ctx.response.is('json', '+json', 'text/event-stream')) return;
  ctx.set({ 'content-type': 'application/octet-stream', 'content-disposition': 'attachment' });
}

/**
 * Passes the answer on as a stream, after the `head` already read of it, scrubbed chunk
 * by chunk (each chunk goes on at once up to its last whitespace, so an event stream's
 * events are not delayed); without the provider's declared length, which a scrub changes.
 */
function pipeOn(ctx: AppContext, answer: IncomingMessage, head: readonly Buffer[], echo: KeyEcho, meter: LlmCallMeter, usage: LlmCallUsage | null): void {
  const scrub = echo.scrubber.stream(echo.caller);
  const passed = (bytes: Uint8Array) => {
    meter.passedOn(bytes.length, true);
    usage?.passed(bytes);
    return nonEmpty(bytes);
  };
  const rest = new Transform({
    transform: (chunk: Buffer, _encoding, done) => done(null, passed(scrub.push(chunk))),
    flush: (done) => done(null, passed(scrub.end())),
  });
  for (const chunk of head) rest.write(chunk);
  // A failure of the provider's stream destroys `rest`, which cuts the answer to the client;
  // a client that leaves destroys `rest`, which ends the provider's stream.
  pipeline(answer, rest, () => {});
  ctx.response.body = rest;
}

function nonEmpty(bytes: Uint8Array): Uint8Array | undefined {
  return bytes.length === 0 ? undefined : bytes;
}

/** A scrubbed body, as Koa sends it: the provider's own buffer when nothing was scrubbed. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Nothing can be sent to a client that left: the request is logged with nginx's 499
 * ("client closed request") and the connection closes.
 */
function clientGone(ctx: AppContext): void {
  ctx.body = null;
  ctx.status = 499;
}

/** The upstream URL with the route's query parameters that the request has (one value each). */
function upstreamUrl(target: string, names: readonly string[], query: ParsedUrlQuery): URL {
  const url = new URL(target);
  for (const name of names) {
    const value = query[name];
    if (typeof value === 'string') url.searchParams.set(name, value);
  }
  return url;
}

function providerMismatch(configured: LlmProvider): HttpError {
  return new HttpError(
    409,
    HttpErrorCodes.SETTINGS_PROVIDER_MISMATCH,
    'Provider mismatch',
    `The settings of this scope are for ${configured}: call ${LLM_PATH_PREFIX}/${configured} instead.`,
  );
}

/** The provider's request id for the log line: only when it looks like one, and scrubbed of the key. */
function loggableRequestId(value: string, apiKey: string): string | null {
  return /^[A-Za-z0-9._:@+=\/-]{1,128}$/.test(value) ? scrubKeyFromLogText(value, apiKey) : null;
}

/** The allowed betas of one call; each header that lost values gets a debug line naming them. */
function betaFilter(allowed: ReadonlySet<string>, logger: Logger, ctx: AppContext): BetaFilter {
  return {
    allowed,
    dropped: (header, values) => {
      const logged = values.slice(0, LOGGED_BETAS).map((value) => redactText(value).slice(0, LOGGED_BETA_LENGTH));
      logger.debug({ request_id: ctx.state.requestId, header, values: logged, count: values.length }, 'beta header values dropped');
    },
  };
}

function betaNames(values: readonly string[]): ReadonlySet<string> {
  if (!values.every((value) => BETA_NAME.test(value))) throw new ConfigError('llm.allowedBetas entries must be beta names: letters, digits, ., _, = and -');
  return new Set(values);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer`);
  return value;
}

/**
 * The root without trailing slashes, so that paths append to it. The lookbehind starts a
 * match only where a run of slashes begins: `/\/+$/` alone retries from every slash of a
 * run, quadratic on a long one.
 */
function apiRoot(value: string, provider: LlmProvider): string {
  const problem = apiRootProblem(value);
  if (problem !== null) throw new ConfigError(`llm.baseUrls.${provider} ${problem}`);
  const url = new URL(value);
  return `${url.origin}${url.pathname.replace(/(?<!\/)\/+$/, '')}`;
}
