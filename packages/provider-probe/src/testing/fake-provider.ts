import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROVIDERS, type LlmProvider } from '@llm-settings/core';
import { DIALECTS, type FakeAnswer } from './fake-dialects.js';

/** How a fake provider answers a model lookup. */
export const FAKE_BEHAVIORS = [
  /** 200 for a known model, 404 for any other. */
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
export type FakeBehavior = (typeof FAKE_BEHAVIORS)[number];

/** Where the 'redirect' behaviour points. A hit there means a client followed the redirect. */
export const REDIRECT_TARGET_PREFIX = '/redirected';

/** One request the fake received. It is a test fake: the key is kept as sent. */
export interface FakeRequest {
  readonly provider: LlmProvider;
  readonly method: string;
  /** Path and query as received. */
  readonly path: string;
  /** The key from `x-api-key` or `Authorization: Bearer`, or null. */
  readonly apiKey: string | null;
  /** Every request header, lowercased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** True for a hit on the redirect target. */
  readonly redirected: boolean;
}

export interface FakeProviderOptions {
  /**
   * Models each provider knows; others get 404.
   * @default each provider's default model (core's `defaultModelFor`) and two more real names
   */
  models?: Partial<Record<LlmProvider, readonly string[]>>;
}

export interface FakeProvider {
  /** API roots to hand to the probe: `anthropic` without a path, `openai` ending in `/v1`, like the real ones. */
  readonly baseUrls: { readonly anthropic: string; readonly openai: string };
  /** Every request received since start or the last `reset()`, in order. */
  readonly requests: readonly FakeRequest[];
  /** Sets how a provider answers keys that have no behaviour of their own. */
  setBehavior(provider: LlmProvider, behavior: FakeBehavior): void;
  /** Sets how a provider answers one key; `null` removes it. */
  setKeyBehavior(provider: LlmProvider, apiKey: string, behavior: FakeBehavior | null): void;
  /** Requests received, for one provider or all. */
  requestCount(provider?: LlmProvider): number;
  /** Back to 'ok' everywhere, no key behaviours, no recorded requests. */
  reset(): void;
  /** Stops both servers and drops open connections, hanging ones included. */
  close(): Promise<void>;
}

const DEFAULT_MODELS: Readonly<Record<LlmProvider, readonly string[]>> = {
  anthropic: ['claude-opus-4-1-20250805', 'claude-3-5-haiku-20241022'],
  openai: ['gpt-4o-mini', 'gpt-4.1'],
};

/**
 * Starts a fake Anthropic and a fake OpenAI, each on its own random port of
 * 127.0.0.1, answering `GET /v1/models/{id}` the way the real APIs do.
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const requests: FakeRequest[] = [];
  const behaviors = new Map<LlmProvider, FakeBehavior>();
  const keyBehaviors = new Map<string, FakeBehavior>();
  const models = Object.fromEntries(
    PROVIDERS.map((p) => [p.id, new Set(options.models?.[p.id] ?? [p.defaultModel, ...DEFAULT_MODELS[p.id]])]),
  ) as Record<LlmProvider, Set<string>>;

  const behaviorFor = (provider: LlmProvider, apiKey: string): FakeBehavior =>
    keyBehaviors.get(keyBehaviorId(provider, apiKey)) ?? behaviors.get(provider) ?? 'ok';

  const servers = {} as Record<LlmProvider, Server>;
  for (const { id: provider } of PROVIDERS) {
    servers[provider] = createServer((req, res) => {
      const request = record(provider, req);
      requests.push(request);
      answer(provider, request, models[provider], behaviorFor, req, res);
    });
  }
  const anthropicPort = await listen(servers.anthropic);
  const openaiPort = await listen(servers.openai);

  return {
    baseUrls: { anthropic: `http://127.0.0.1:${anthropicPort}`, openai: `http://127.0.0.1:${openaiPort}/v1` },
    requests,
    setBehavior: (provider, behavior) => void behaviors.set(provider, behavior),
    setKeyBehavior: (provider, apiKey, behavior) => {
      if (behavior === null) keyBehaviors.delete(keyBehaviorId(provider, apiKey));
      else keyBehaviors.set(keyBehaviorId(provider, apiKey), behavior);
    },
    requestCount: (provider) => requests.filter((r) => provider === undefined || r.provider === provider).length,
    reset: () => {
      requests.length = 0;
      behaviors.clear();
      keyBehaviors.clear();
    },
    close: () => Promise.all(Object.values(servers).map(stop)).then(() => undefined),
  };
}

function answer(
  provider: LlmProvider,
  request: FakeRequest,
  knownModels: ReadonlySet<string>,
  behaviorFor: (provider: LlmProvider, apiKey: string) => FakeBehavior,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const dialect = DIALECTS[provider];
  const requestId = dialect.newRequestId();
  const url = new URL(request.path, 'http://fake.invalid');
  const route = request.redirected ? url.pathname.slice(REDIRECT_TARGET_PREFIX.length) : url.pathname;
  const match = /^\/v1\/models\/([^/]+)$/.exec(route);
  const model = match?.[1] === undefined ? route : decodeURIComponent(match[1]);
  const send = (reply: FakeAnswer) => {
    res.writeHead(reply.status, { 'content-type': 'application/json', [dialect.requestIdHeader]: requestId, ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };
  const error = (status: number) => send(dialect.error(status, { apiKey: request.apiKey, model, requestId }));

  if (req.method !== 'GET' || match === null) return error(404);
  if (request.apiKey === null) return error(401);
  const behavior = request.redirected ? 'ok' : behaviorFor(provider, request.apiKey);
  switch (behavior) {
    case 'ok':
      return knownModels.has(model) ? send(dialect.model(model)) : error(404);
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
}

const ERROR_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  server_error: 500,
  overloaded: 529,
} as const satisfies Record<Exclude<FakeBehavior, 'ok' | 'hang' | 'drop' | 'redirect'>, number>;

function record(provider: LlmProvider, req: IncomingMessage): FakeRequest {
  const path = req.url ?? '/';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    provider,
    method: req.method ?? 'GET',
    path,
    apiKey: DIALECTS[provider].credential(req.headers),
    headers,
    redirected: path.startsWith(`${REDIRECT_TARGET_PREFIX}/`),
  };
}

function keyBehaviorId(provider: LlmProvider, apiKey: string): string {
  return `${provider}\n${apiKey}`;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
