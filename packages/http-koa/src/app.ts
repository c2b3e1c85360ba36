import { ConfigError, DEFAULT_PROVIDER_REGISTRY, silentLogger, type Logger, type ProviderRegistry, type TokenVerifier } from '@llm-settings/core';
import Koa from 'koa';
import type { AppContext, AppState } from './app-state.js';
import { authenticate, type AccessOptions } from './bearer-auth.js';
import { registerCallerRoute } from './caller-route.js';
import { fetchMetadataCheck, originCheck } from './browser-request-check.js';
import { setCommonHeaders } from './common-headers.js';
import { corsMiddleware, corsOriginsOf } from './cors.js';
import { alwaysReady, registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { hostCheck } from './host-check.js';
import { forOurRequests } from './mounting.js';
import { jsonBodyMiddleware } from './json-body.js';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi.js';
import { LLM_PATH_PREFIX, registerLlmPassThrough, type LlmPassThroughOptions } from './llm-pass-through.js';
import { metricsRouter, type MetricsOptions } from './metrics-route.js';
import { NO_OBSERVER } from './observer.js';
import { passThroughDialectOf } from './pass-through-paths.js';
import { registerProviderRoutes } from './provider-routes.js';
import { problemMiddleware } from './problem-middleware.js';
import { ProtectedRoutes } from './protected-routes.js';
import { stepsBefore } from './request-steps.js';
import { requestLog } from './request-log.js';
import { createRouter, routesByName, routesUnder } from './routers.js';
import { traceRequests } from './tracing.js';
import { registerModelRoutes } from './model-routes.js';
import { registerSettingsRoutes, SETTINGS_PATH, type HttpSettingsService } from './settings-routes.js';
import { registerSettingsUi } from './settings-ui.js';
import { registerUsageRoutes, type HttpUsage } from './usage-routes.js';

export const DEFAULT_MAX_BODY_BYTES = 16_384;
/** '' or `/`-separated segments without a trailing `/`, query, fragment or whitespace. */
const BASE_PATH = /^(\/[^/?#\s]+)*$/;

export interface HttpAppOptions {
  /** The use cases to expose; an `LlmSettingsService` or any wrapper with the same methods. */
  service: HttpSettingsService;
  /**
   * The providers served: their list, the pass-through's routes and the OpenAPI
   * document's provider enum follow the enabled ones.
   * @default the service's `providers` (an LlmSettingsService's registry), else Anthropic and OpenAI
   */
  providers?: ProviderRegistry;
  /**
   * Receives one line per request and the failures; pino-compatible.
   * @default silentLogger
   */
  logger?: Logger;
  /**
   * When set, every route requires `Authorization: Bearer <apiToken>` except the open ones:
   * `/healthz`, `/readyz`, `/api/openapi.json` and the settings page's files.
   * Must be 16 to 1024 printable ASCII characters without whitespace.
   * @default undefined (no authentication: put the app behind your own auth)
   */
  apiToken?: string;
  /**
   * Checks scoped tokens (core's `TokenVerifier`): presented like the API token, each
   * reaches its own scope only (`LLM-Settings-Scope` absent or naming it, else 403
   * `HTTP.SCOPE_FORBIDDEN`), and each route asks for one of its permissions: `read`
   * (GET settings, providers), `write` (PUT, DELETE), `test` (POST /test), `models`, `use`
   * (the pass-through); else 403 `HTTP.PERMISSION_MISSING`. Tokens up to 8 KiB are read.
   * @default null (the API token alone)
   */
  tokenVerifier?: TokenVerifier | null;
  /**
   * Reports whether the app can serve requests, for GET /readyz.
   * @default always ready, with no checks
   */
  readiness?: ReadinessCheck;
  /**
   * Largest accepted request body, in bytes; larger ones are refused with 413.
   * @default 16384
   */
  maxBodyBytes?: number;
  /**
   * When set, turns on the check against DNS rebinding: before any route runs, a request
   * whose `Host` is not `localhost`, a loopback address (127.0.0.0/8, `[::1]`) or one of
   * these answers 421. Entries are hostnames or IP addresses (IPv6 in brackets),
   * optionally with a port, which is ignored; names compare case-insensitively and without
   * a trailing dot. `[]` accepts the loopback names only. (The checks of pages of other
   * origins run whatever this option: see `corsOrigins`.)
   * @default undefined (no check: any Host is served)
   */
  allowedHosts?: readonly string[];
  /**
   * When set, serves the LLM pass-through under `/api/llm/<provider>/v1/...`: the
   * provider's API called with the key stored for the request's scope, so that an app
   * points the official SDK at this server and never holds the key. With `apiToken`,
   * these routes take the token as `Authorization: Bearer` or `x-api-key`.
   * @default undefined (no pass-through: those paths answer 404)
   */
  llm?: LlmPassThroughOptions;
  /**
   * The path the host serves this app under when it mounts it (e.g. with koa-mount), for
   * the `servers` of the OpenAPI document: clients resolve its paths against it. Starts
   * with `/`, without a trailing one.
   * @default '' (served at the root: the document has no `servers`)
   */
  basePath?: string;
  /**
   * Origins whose pages may call the API (CORS), e.g. `https://admin.example.com`: scheme,
   * host and optional port. Their preflights answer 204 with the API's methods and
   * headers (`authorization`, `content-type`, `if-match`, `llm-settings-scope`,
   * `x-request-id`), their answers expose `ETag`, and the Origin check lets them through.
   * Whatever the options, every route refuses with 403 an `Origin` other than these and
   * the server's own (the `Host` the request was addressed to, port included, under
   * `http` or `https` for a TLS-terminating proxy in front); and every API route
   * (settings, models, `/test`, the pass-through), following Fetch Metadata, refuses a
   * request marked `Sec-Fetch-Mode: no-cors`, or `Sec-Fetch-Site: cross-site` or
   * `same-site` without such an Origin. Other origins get no CORS header. `*` and
   * `null` are refused.
   * @default [] (no CORS: only pages of the server's own origin may call the API)
   */
  corsOrigins?: readonly string[];
  /**
   * When true, serves the settings page at `/` and its assets under `/ui/`: open routes
   * (static files, no secret; the page's API calls carry the token, asked for once per
   * tab), answered with a strict Content-Security-Policy.
   * @default false (embedded in another app, `/` stays the host's)
   */
  settingsUi?: boolean;
  /**
   * When set, serves `GET /metrics` for a scraper and reports every request and
   * pass-through call to `metrics.observer` (see `MetricsOptions`).
   * @default undefined (no metrics: /metrics answers 404)
   */
  metrics?: MetricsOptions;
  /**
   * When set, the pass-through's calls (messages, chat completions, responses, embeddings)
   * are counted per scope with `usage.record` (from the answer bytes, which are not
   * changed), and `GET /api/settings/llm/usage?from=&to=` answers the scope's counts.
   * @default undefined (nothing counted: that path answers 404)
   */
  usage?: HttpUsage;
}

/**
 * The Koa app serving the settings API (see the package README for routes and the
 * error mapping). Call `.listen()` or pass `.callback()` to an HTTP server.
 * @throws ConfigError when `apiToken`, `maxBodyBytes`, an `allowedHosts` or `corsOrigins` entry, an `llm` option or `basePath` cannot be used.
 */
export function createHttpApp(options: HttpAppOptions): Koa<AppState> {
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new ConfigError('maxBodyBytes must be a positive integer');
  const basePath = options.basePath ?? '';
  const corsOrigins = corsOriginsOf(options.corsOrigins ?? []);
  if (!BASE_PATH.test(basePath)) throw new ConfigError("basePath must be '' or start with / and not end with one");

  // Access is decided by the route that runs, deny by default: the open routes are listed
  // here; every other route goes on a protected router, whose token check runs before
  // any of its routes once the router has chosen one.
  const openRoutes = createRouter();
  const providers = options.providers ?? (options.service as { providers?: ProviderRegistry }).providers ?? DEFAULT_PROVIDER_REGISTRY;
  const openApiDocument = buildOpenApiDocument({
    providers,
    // Scoped tokens alone (no API token) are bearer tokens too: a refused one is a 401.
    bearerAuth: options.apiToken !== undefined || (options.tokenVerifier ?? null) !== null,
    hostCheck: options.allowedHosts !== undefined,
    llm: options.llm !== undefined,
    usage: options.usage !== undefined,
    basePath,
  });
  openRoutes.get(OPENAPI_PATH, (ctx) => {
    ctx.body = openApiDocument;
  });
  registerHealthRoutes(openRoutes, options.readiness ?? alwaysReady, logger);
  if (options.settingsUi === true) registerSettingsUi(openRoutes);

  // What a browser marks as made for a page of another site (or as an image, a script,
  // a no-cors fetch) is refused on every protected route, before the token check:
  // deny by default, whatever the options. The open routes' files must load that way.
  const browserCheck = fetchMetadataCheck(corsOrigins);
  // The access check names the caller (ctx.state.caller) for the route after it.
  const access: AccessOptions = { ...(options.apiToken === undefined ? {} : { apiToken: options.apiToken }), tokenVerifier: options.tokenVerifier ?? null };
  const apiCheck = stepsBefore([browserCheck], authenticate(access));
  const settingsRoutes = new ProtectedRoutes(createRouter(), apiCheck);
  const protectedRoutes = new ProtectedRoutes(createRouter(), apiCheck);
  registerCallerRoute(protectedRoutes);
  const jsonBody = jsonBodyMiddleware(maxBodyBytes);
  registerProviderRoutes(protectedRoutes, providers);
  registerSettingsRoutes(settingsRoutes, protectedRoutes, options.service, jsonBody);
  registerModelRoutes(protectedRoutes, options.service, jsonBody);
  if (options.usage !== undefined) registerUsageRoutes(protectedRoutes, options.usage);

  // The pass-through's protected routes, a router per provider (see routesByName below):
  // their check also takes the token in x-api-key, where SDKs may send what they take for
  // a provider key.
  const llmCheck = stepsBefore([browserCheck], authenticate({ ...access, acceptXApiKey: true }));
  const llmRoutes = new Map<string, ProtectedRoutes>();
  const llmRoutesOf = (provider: string): ProtectedRoutes => {
    let routes = llmRoutes.get(provider);
    if (routes === undefined) llmRoutes.set(provider, (routes = new ProtectedRoutes(createRouter(), llmCheck)));
    return routes;
  };
  if (options.llm !== undefined) {
    registerLlmPassThrough(llmRoutesOf, options.service, { providers, ...options.llm }, logger, options.metrics?.observer ?? NO_OBSERVER, options.usage?.record ?? null);
  }
  const llmRouters = new Map([...llmRoutes].map(([provider, routes]) => [provider, routes.router]));

  const app = new Koa<AppState>();
  const metricsRoutes = options.metrics !== undefined ? [metricsRouter(options.metrics, options.apiToken, browserCheck)] : [];
  const routers = [settingsRoutes.router, protectedRoutes.router, ...llmRouters.values(), ...metricsRoutes, openRoutes];
  app.use(
    forOurRequests(app, routers, [
      requestLog(logger, options.metrics?.observer),
      traceRequests(),
      // On the pass-through, problems also carry the provider's error shape, for its SDK.
      problemMiddleware(options.llm !== undefined ? passThroughDialectOf(providers) : undefined),
      // Below the problem middleware, so that a refusal is a logged problem; above every
      // route. The common headers first: a refusal carries them too.
      stepsBefore([setCommonHeaders, ...(options.allowedHosts !== undefined ? [hostCheck(options.allowedHosts)] : []), originCheck(corsOrigins)]),
      // Below the checks, which refuse a rebound Host or a foreign page before any CORS
      // header is set; above the routes, so that their answers and problems carry them.
      ...(corsOrigins.size > 0 ? [corsMiddleware(corsOrigins)] : []),
      // The settings routes first: they take most requests, and a router that answers runs
      // none after it. Each API router runs for the paths under its prefix only, so that
      // the pass-through's calls skip the settings' routers, and a call runs its provider's
      // router alone, whatever the number of providers. One allowedMethods serves all: it
      // reads the layers each router matched (ctx.matched) and answers 405 with their
      // methods.
      routesUnder(SETTINGS_PATH, settingsRoutes.router),
      routesUnder(SETTINGS_PATH, protectedRoutes.router),
      routesByName(LLM_PATH_PREFIX, llmRouters),
      ...[...metricsRoutes, openRoutes].map((router) => router.routes()),
      openRoutes.allowedMethods(),
    ]),
  );
  app.on('error', (error: unknown, ctx?: AppContext) => reportEscapedError(logger, error, ctx));
  return app;
}

/**
 * Errors that escape every middleware (a failing response stream, a client gone
 * mid-request) land here instead of Koa's default console output, which would print
 * the error as it is. A closed client socket is the client's doing, so it is an info
 * line; anything else is an error. Either carries the request id, never the message.
 */
function reportEscapedError(logger: Logger, error: unknown, ctx: AppContext | undefined): void {
  const fields = { request_id: ctx?.state.requestId ?? null, error_name: error instanceof Error ? error.name : typeof error };
  if (ctx?.req.socket.destroyed) logger.info(fields, 'client closed the connection');
  else logger.error(fields, 'http response error');
}
