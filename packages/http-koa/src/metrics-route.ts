import type Router from '@koa/router';
import type { AppState } from './app-state.js';
import { authenticate, requireToken } from './bearer-auth.js';
import { ProtectedRoutes } from './protected-routes.js';
import { stepsBefore, type RequestStep } from './request-steps.js';
import { createRouter } from './routers.js';
import type { HttpObserver } from './observer.js';

export const METRICS_PATH = '/metrics';

/** A metrics scrape as its registry writes it. */
export interface MetricsScrape {
  contentType: string;
  body: string;
}

/** Serves `GET /metrics` for a scraper (Prometheus), and reports the app's requests to an observer. */
export interface MetricsOptions {
  /** Receives each request and pass-through call (see {@link HttpObserver}). */
  observer: HttpObserver;
  /** Writes the scrape: the registry's text format (prom-client's `register.metrics()`). */
  scrape: () => Promise<MetricsScrape>;
  /**
   * The token a scraper presents as `Authorization: Bearer`, so that it holds no admin
   * power; 16 to 1024 printable ASCII characters.
   * @default undefined (the app's `apiToken`, or none when the app has none)
   */
  token?: string;
}

/**
 * The router of `GET /metrics`: protected like the API routes (the browser checks, then
 * the metrics token or else the API token), deny by default: with neither token it is
 * exactly as open as the API, which the server serves without a token on loopback only.
 */
export function metricsRouter(options: MetricsOptions, apiToken: string | undefined, browserCheck: RequestStep): Router<AppState> {
  // A scraper's token names no caller: it reaches /metrics and nothing else.
  const tokenCheck = options.token !== undefined ? requireToken(options.token) : authenticate(apiToken === undefined ? {} : { apiToken });
  const routes = new ProtectedRoutes(createRouter(), stepsBefore([browserCheck], tokenCheck));
  routes.get(METRICS_PATH, async (ctx) => {
    const { contentType, body } = await options.scrape();
    ctx.set('Content-Type', contentType);
    ctx.body = body;
  });
  return routes.router;
}
