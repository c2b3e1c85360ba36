import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROVIDERS, type LlmProvider, type ProviderAuth, type ProviderDescriptor } from '@llm-settings/core';
import { anthropicDialect } from './fake-anthropic.js';
import { bearerToken, headerValue, isRecord, type FakeAnswer, type FakeCall, type FakeRoute, type ProviderDialect } from './fake-dialects.js';
import { openAiDialect } from './fake-openai.js';
import { RequestLog } from './fake-request-log.js';
import { StreamPacer, writeStream } from './fake-stream.js';

/** How a fake provider answers a request, whatever the endpoint. */
export const FAKE_BEHAVIORS = [
  /** 200 for a known model (400 for a POST naming none), 404 for any other. */
  'ok',
  /** 401 */
  'unauthorized',
  /** 403 */
  'forbidden',
  /** 404, whatever the model. */
  'not_found',
  /** 429 */
  'rate_limited',
  /** 500 */
  'server_error',
  /** 529 */
  'overloaded',
  /** Never answers. */
  'hang',
  /** Destroys the socket without answering. */
  'drop',
  /** 307 to the same path under {@link REDIRECT_TARGET_PREFIX}, which answers like 'ok'. */
  'redirect',
] as const;
/**
 * One of {@link FAKE_BEHAVIORS}, or `{ status }`: an error answer with that HTTP status
 * (200 to 599), its body worded as the provider words errors.
 */
export type FakeBehavior = (typeof FAKE_BEHAVIORS)[number] | { readonly status: number };

/** Where the 'redirect' behaviour points. A hit there means a client followed the redirect. */
export const REDIRECT_TARGET_PREFIX = '/redirected';

/** One request the fake received. It is a test fake: the key is kept as sent. */
export interface FakeRequest {
  readonly provider: LlmProvider;
  readonly method: string;
  /** Path and query as received. */
  readonly path: string;
  /**
   * The key from the provider's own credential header (`x-api-key` or `Authorization:
   * Bearer` for Anthropic), or null; for a keyless provider, any key sent in any of them.
   */
  readonly apiKey: string | null;
  /** Every request header, lowercased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as received: its JSON, the raw text when it is not JSON, or null when empty. */
  readonly body: unknown;
  /** True for a hit on the redirect target. */
  readonly redirected: boolean;
}

export interface FakeProviderOptions {
  /**
   * Models each provider knows, in the order its model list gives them; others get 404.
   * @default each provider's default model (core's `defaultModelFor`) and two more real
   * names; for OpenAI also `text-embedding-3-small`
   */
  models?: Partial<Record<LlmProvider, readonly string[]>>;
  /**
   * Providers to fake besides the built-ins (an operator's), each on its own port under
   * the path of its default API root, with its dialect and key header.
   * @default []
   */
  providers?: readonly ProviderDescriptor[];
  /**
   * The first provider's port; the others take the ports after it, in the order of
   * `baseUrls`: URLs that stay the same from one start to the next.
   * @default 0: each provider on a free port the system picks
   */
  firstPort?: number;
  /**
   * How many of the latest requests `requests` keeps: a long session (the bin, the demo)
   * would otherwise hold every request it ever got. `requestCount` counts them all.
   * @default 1000
   * @throws RangeError at start for a count that is not an integer of 0 or more
   */
  keptRequests?: number;
}

export interface FakeProvider {
  /**
   * API roots to hand to the probe, one per faked provider, each with the path of the
   * real one: `anthropic` without a path, `openai` ending in `/v1`, `openrouter` in
   * `/api/v1`, `gemini` in `/v1beta/openai`, `azure-openai` in `/openai/v1`...
   */
  readonly baseUrls: { readonly anthropic: string; readonly openai: string } & Readonly<Record<LlmProvider, string>>;
  /** The latest requests received since start or the last `reset()` (at most `keptRequests`), oldest first. */
  readonly requests: readonly FakeRequest[];
  /** Sets how a provider answers keys that have no behaviour of their own. */
  setBehavior(provider: LlmProvider, behavior: FakeBehavior): void;
  /** Sets how a provider answers one key; `null` removes it. */
  setKeyBehavior(provider: LlmProvider, apiKey: string, behavior: FakeBehavior | null): void;
  /**
   * Sets the models a provider knows for one key, in the order its model list gives
   * them (lookups of others answer 404); `null` gives the key the provider's models again.
   */
  setKeyModels(provider: LlmProvider, apiKey: string, models: readonly string[] | null): void;
  /**
   * Holds every answer to one key `ms` milliseconds before sending it (each page of a
   * model list is one answer); `null` answers at once again.
   * @throws RangeError for a negative delay or NaN
   */
  setKeyAnswerDelay(provider: LlmProvider, apiKey: string, ms: number | null): void;
  /** Requests received since start or the last `reset()`, for one provider or all, those `requests` no longer keeps included. */
  requestCount(provider?: LlmProvider): number;
  /**
   * The kept requests with one of `marks` in their path, headers or body. A test that puts
   * a mark of its own (a random key, say) in what it sends tells its requests from other
   * test files': theirs can reach a port of this fake that was one of their servers' before.
   * @throws RangeError for an empty mark, which every request would carry
   */
  requestsCarrying(...marks: readonly string[]): FakeRequest[];
  /**
   * Pause between two events of every streamed answer, in milliseconds; streams under
   * way follow a change at once. 0, the default, writes the events back to back;
   * `Infinity` holds every stream after its current event until the delay is lowered.
   * @throws RangeError for a negative delay or NaN
   */
  setStreamDelay(ms: number): void;
  /** Streamed answers whose client went away before their last event, since start or `reset()`. */
  readonly abortedStreams: number;
  /**
   * Resolves with the request whose streamed answer is the next one cut short by its
   * client (its connection closed before the last event). Call it before the abort.
   */
  nextStreamAborted(): Promise<FakeRequest>;
  /**
   * Back to 'ok' everywhere, no key behaviours, key models or answer delays, no stream delay (held streams go on),
   * no recorded requests, answers numbered from 1 again, `abortedStreams` at 0.
   */
  reset(): void;
  /** Stops both servers and drops open connections, hanging ones and streams included. */
  close(): Promise<void>;
}

const DEFAULT_KEPT_REQUESTS = 1000;

const DIALECTS = { anthropic: anthropicDialect, openai: openAiDialect } as const;

const DEFAULT_MODELS: Readonly<Record<LlmProvider, readonly string[]>> = {
  anthropic: ['claude-opus-4-1-20250805', 'claude-3-5-haiku-20241022'],
  openai: ['gpt-4o-mini', 'gpt-4.1', 'text-embedding-3-small'],
};

/** How one faked provider speaks: its dialect, the path of its API root and its key header. */
interface FakedProvider {
  readonly id: LlmProvider;
  readonly dialect: ProviderDialect;
  /** The path of the API root (`''`, `/v1`, `/api/v1`...), which stands for the dialect's own root. */
  readonly prefix: string;
  /** The dialect's own root, under which its routes are written: `/v1` for OpenAI's, none for Anthropic's. */
  readonly dialectRoot: string;
  readonly auth: ProviderAuth;
}

function fakedProvider(descriptor: ProviderDescriptor): FakedProvider {
  // Azure's root is the operator's: its path is the resource's `/openai/v1`.
  const root = descriptor.defaultBaseUrl ?? 'http://fake.invalid/openai/v1';
  return {
    id: descriptor.id,
    dialect: DIALECTS[descriptor.dialect],
    prefix: new URL(root).pathname.replace(/(?<!\/)\/+$/, ''),
    dialectRoot: descriptor.dialect === 'openai' ? '/v1' : '',
    auth: descriptor.auth,
  };
}

/** The key of a request as the provider reads it; for a keyless one, any key sent at all. */
function credentialOf(auth: ProviderAuth, headers: IncomingMessage['headers']): string | null {
  switch (auth) {
    case 'x-api-key':
      return headerValue(headers['x-api-key']) ?? bearerToken(headers.authorization);
    case 'bearer':
      return bearerToken(headers.authorization);
    case 'api-key':
      return headerValue(headers['api-key']);
    case 'none':
      return bearerToken(headers.authorization) ?? headerValue(headers['x-api-key']) ?? headerValue(headers['api-key']);
  }
}

/** What answering a request needs of the fake's state. */
interface FakeState {
  /** The models `apiKey` (null: no key) sees at `provider`. */
  modelsFor(provider: LlmProvider, apiKey: string | null): readonly string[];
  behaviorFor(provider: LlmProvider, apiKey: string): FakeBehavior;
  /** How long answers to `apiKey` are held, in milliseconds. */
  answerDelayFor(provider: LlmProvider, apiKey: string | null): number;
  nextSerial(): number;
  readonly pacer: StreamPacer;
  streamAborted(request: FakeRequest): void;
}

/**
 * Starts a fake of every built-in provider (and of `options.providers`), each on its own
 * port of 127.0.0.1 (a random one unless `options.firstPort`) under the path of its real
 * API root, reading the key from its own header, speaking enough of the real APIs for the
 * official SDKs: model lookup and list; Anthropic's messages (streamed or not) and token counting; OpenAI's chat
 * completions and responses (streamed or not) and embeddings.
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const log = new RequestLog(options.keptRequests ?? DEFAULT_KEPT_REQUESTS);
  const behaviors = new Map<LlmProvider, FakeBehavior>();
  const keyBehaviors = new Map<string, FakeBehavior>();
  const keyModels = new Map<string, readonly string[]>();
  const answerDelays = new Map<string, number>();
  const descriptors = [...PROVIDERS, ...(options.providers ?? [])];
  const models = Object.fromEntries(
    descriptors.map((p) => [p.id, [...new Set(options.models?.[p.id] ?? [p.defaultModel, ...(DEFAULT_MODELS[p.id] ?? p.catalogue.slice(0, 3).map((m) => m.id))])]]),
  ) as Record<LlmProvider, string[]>;
  let serial = 0;
  let abortedStreams = 0;
  let abortWaiters: Array<(request: FakeRequest) => void> = [];
  const state: FakeState = {
    modelsFor: (provider, apiKey) => (apiKey === null ? undefined : keyModels.get(keyBehaviorId(provider, apiKey))) ?? models[provider] ?? [],
    behaviorFor: (provider, apiKey) => keyBehaviors.get(keyBehaviorId(provider, apiKey)) ?? behaviors.get(provider) ?? 'ok',
    answerDelayFor: (provider, apiKey) => (apiKey === null ? 0 : (answerDelays.get(keyBehaviorId(provider, apiKey)) ?? 0)),
    nextSerial: () => ++serial,
    pacer: new StreamPacer(),
    streamAborted: (request) => {
      abortedStreams += 1;
      const waiters = abortWaiters;
      abortWaiters = [];
      for (const resolve of waiters) resolve(request);
    },
  };

  const servers: Server[] = [];
  const baseUrls: Record<LlmProvider, string> = {};
  const firstPort = options.firstPort ?? 0;
  for (const [index, descriptor] of descriptors.entries()) {
    const faked = fakedProvider(descriptor);
    const server = createServer((req, res) => {
      const onBody = (raw: string) => {
        const request = record(faked, req, raw);
        log.add(request);
        return answer(faked, request, state, req, res);
      };
      // A body that never arrived whole: its client went away, nobody is left to answer.
      void readBody(req).then(onBody, () => res.destroy());
    });
    try {
      const port = await listen(server, firstPort === 0 ? 0 : firstPort + index);
      baseUrls[faked.id] = `http://127.0.0.1:${port}${faked.prefix}`;
    } catch (error) {
      // A port taken: the servers already listening would otherwise outlive the failed start.
      await Promise.all(servers.map(stop));
      throw error;
    }
    servers.push(server);
  }

  return {
    baseUrls: baseUrls as FakeProvider['baseUrls'],
    requests: log.kept,
    setBehavior: (provider, behavior) => void behaviors.set(provider, checkedBehavior(behavior)),
    setKeyBehavior: (provider, apiKey, behavior) => {
      if (behavior === null) keyBehaviors.delete(keyBehaviorId(provider, apiKey));
      else keyBehaviors.set(keyBehaviorId(provider, apiKey), checkedBehavior(behavior));
    },
    setKeyModels: (provider, apiKey, list) => {
      if (list === null) keyModels.delete(keyBehaviorId(provider, apiKey));
      else keyModels.set(keyBehaviorId(provider, apiKey), [...new Set(list)]);
    },
    setKeyAnswerDelay: (provider, apiKey, ms) => {
      if (ms === null) answerDelays.delete(keyBehaviorId(provider, apiKey));
      else if (!(ms >= 0)) throw new RangeError('An answer delay must be 0 or more milliseconds');
      else answerDelays.set(keyBehaviorId(provider, apiKey), ms);
    },
    requestCount: (provider) => log.count(provider),
    requestsCarrying: (...marks) => log.carrying(marks),
    setStreamDelay: (ms) => state.pacer.setDelay(ms),
    get abortedStreams() {
      return abortedStreams;
    },
    nextStreamAborted: () => new Promise((resolve) => abortWaiters.push(resolve)),
    reset: () => {
      log.clear();
      behaviors.clear();
      keyBehaviors.clear();
      keyModels.clear();
      answerDelays.clear();
      serial = 0;
      abortedStreams = 0;
      state.pacer.setDelay(0);
    },
    close: () => Promise.all(servers.map(stop)).then(() => undefined),
  };
}

/**
 * Answers one request: the route, then the key, then the behaviour, then the model,
 * in that order, like the real APIs (an unknown path is a 404 even without a key).
 */
async function answer(faked: FakedProvider, request: FakeRequest, state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { dialect, id: provider } = faked;
  const delay = state.answerDelayFor(provider, request.apiKey);
  // Unref'd: a held answer whose client left must not keep a test run alive.
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref());
  const requestId = dialect.newRequestId();
  const url = new URL(request.path, 'http://fake.invalid');
  const pathname = request.redirected ? url.pathname.slice(REDIRECT_TARGET_PREFIX.length) : url.pathname;
  // Under the provider's root only: the dialect's routes are written under its own root.
  const underRoot = pathname.startsWith(`${faked.prefix}/`) ? `${faked.dialectRoot}${pathname.slice(faked.prefix.length)}` : null;
  const found = underRoot === null ? undefined : findRoute(dialect.routes, request.method, underRoot);
  const call: FakeCall = {
    params: found?.params ?? [],
    query: url.searchParams,
    body: isRecord(request.body) ? request.body : {},
    models: state.modelsFor(provider, request.apiKey),
    nextSerial: state.nextSerial,
  };
  const model = found?.route.model(call) ?? null;
  const headersFor = (status: number) => ({ [dialect.requestIdHeader]: requestId, ...dialect.commonHeaders(status === 429) });
  const send = (reply: FakeAnswer) => {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...headersFor(reply.status), ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };
  const error = (status: number) => send(dialect.error(status, { apiKey: request.apiKey, model, requestId, route: `${request.method} ${pathname}` }));

  if (found === undefined) return error(404);
  const keyless = faked.auth === 'none';
  if (request.apiKey === null && !keyless) return error(401);
  // A keyless provider's behaviours are set for the empty key.
  const behavior = request.redirected ? 'ok' : state.behaviorFor(provider, keyless ? '' : (request.apiKey ?? ''));
  if (typeof behavior === 'object') return error(behavior.status);
  switch (behavior) {
    case 'ok':
      break;
    case 'hang':
      return;
    case 'drop':
      req.socket.destroy();
      return;
    case 'redirect':
      res.writeHead(307, { location: `${REDIRECT_TARGET_PREFIX}${request.path}`, [dialect.requestIdHeader]: requestId });
      res.end();
      return;
    default:
      return error(ERROR_STATUS[behavior]);
  }
  if (found.route.method === 'POST' && model === null) return error(400);
  if (model !== null && !call.models.includes(model)) return error(404);

  const reply = found.route.answer(call);
  if (!('frames' in reply)) return send(reply);
  if ((await writeStream(res, headersFor(200), reply.frames, state.pacer)) === 'aborted') state.streamAborted(request);
}

const ERROR_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  server_error: 500,
  overloaded: 529,
} as const satisfies Record<Exclude<(typeof FAKE_BEHAVIORS)[number], 'ok' | 'hang' | 'drop' | 'redirect'>, number>;

/** The behaviour, or a RangeError now for a status Node could not answer with later. */
function checkedBehavior(behavior: FakeBehavior): FakeBehavior {
  if (typeof behavior === 'object' && !(Number.isInteger(behavior.status) && behavior.status >= 200 && behavior.status <= 599)) {
    throw new RangeError('A fake status must be an integer from 200 to 599');
  }
  return behavior;
}

function findRoute(routes: readonly FakeRoute[], method: string, pathname: string): { route: FakeRoute; params: string[] } | undefined {
  for (const route of routes) {
    const match = route.method === method ? route.path.exec(pathname) : null;
    if (match !== null) return { route, params: match.slice(1).map((param) => decodeOr(param ?? '')) };
  }
  return undefined;
}

/** A path parameter decoded, or as sent when it is not valid percent-encoding. */
function decodeOr(param: string): string {
  try {
    return decodeURIComponent(param);
  } catch {
    return param;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function record(faked: FakedProvider, req: IncomingMessage, rawBody: string): FakeRequest {
  const path = req.url ?? '/';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    provider: faked.id,
    method: req.method ?? 'GET',
    path,
    apiKey: credentialOf(faked.auth, req.headers),
    headers,
    body: parseBody(rawBody),
    redirected: path.startsWith(`${REDIRECT_TARGET_PREFIX}/`),
  };
}

function parseBody(raw: string): unknown {
  if (raw === '') return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function keyBehaviorId(provider: LlmProvider, apiKey: string): string {
  return `${provider}\n${apiKey}`;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
