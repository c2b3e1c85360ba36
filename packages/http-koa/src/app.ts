import { ConfigError, silentLogger, type Logger } from '@llm-settings/core';
import Koa from 'koa';
import type { AppState } from './app-state.js';
import { bearerAuth } from './bearer-auth.js';
import { commonHeadersMiddleware } from './common-headers.js';
import { alwaysReady, registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { createJsonBodyReader } from './json-body.js';
import { allowDirectAnswers } from './json-response.js';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi.js';
import { problemMiddleware } from './problem-middleware.js';
import { requestLog, requestLogWriterFor, type RequestLogWriter } from './request-log.js';
import { createRouter, unansweredRouteProblems } from './routers.js';
import { registerSettingsRoutes, type HttpSettingsService } from './settings-routes.js';

export const DEFAULT_MAX_BODY_BYTES = 16_384;

export interface HttpAppOptions {
  /** The use cases to expose; an `LlmSettingsService` or any wrapper with the same methods. */
  service: HttpSettingsService;
  /**
   * Receives one line per request and the failures; pino-compatible.
   * @default silentLogger
   */
  logger?: Logger;
  /**
   * Receives the entry of each request instead of `logger`, for a dedicated access log
   * or a cheaper writer than a general-purpose logger.
   * @default entries written with `logger`: 5xx at error ("http request failed"), others at info ("http request")
   */
  requestLog?: RequestLogWriter;
  /**
   * When set, every route requires `Authorization: Bearer <apiToken>` except the open ones:
   * `/healthz`, `/readyz` and `/api/openapi.json`.
   * Must be 1 to 1024 printable ASCII characters without whitespace.
   * @default undefined (no authentication: put the app behind your own auth)
   */
  apiToken?: string;
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
}

/**
 * The Koa app serving the settings API (see the package README for routes and the
 * error mapping). Call `.listen()` or pass `.callback()` to an HTTP server.
 * @throws ConfigError when `apiToken` or `maxBodyBytes` cannot be used.
 */
export function createHttpApp(options: HttpAppOptions): Koa<AppState> {
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new ConfigError('maxBodyBytes must be a positive integer');

  // Access is decided by the route that runs, deny by default: the open routes are listed
  // here; every other route goes on the protected router, whose token check runs before
  // any of its routes once the router has chosen one.
  const openRoutes = createRouter();
  const openApiDocument = buildOpenApiDocument({ bearerAuth: options.apiToken !== undefined });
  openRoutes.get(OPENAPI_PATH, (ctx) => {
    ctx.body = openApiDocument;
  });
  registerHealthRoutes(openRoutes, options.readiness ?? alwaysReady, logger);

  const protectedRoutes = createRouter();
  if (options.apiToken !== undefined) protectedRoutes.use(bearerAuth(options.apiToken));
  registerSettingsRoutes(protectedRoutes, options.service, createJsonBodyReader(maxBodyBytes));

  const app = new Koa<AppState>();
  app.use(requestLog(options.requestLog ?? requestLogWriterFor(logger)));
  app.use(commonHeadersMiddleware());
  app.use(problemMiddleware());
  app.use(unansweredRouteProblems());
  for (const router of [openRoutes, protectedRoutes]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  allowDirectAnswers(app);
  // Errors that escape every middleware (such as a failing response stream) land here
  // instead of Koa's default console output, which would print the error as it is.
  app.on('error', (error: unknown) => {
    logger.error({ error_name: error instanceof Error ? error.name : typeof error }, 'http response error');
  });
  return app;
}
