import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { authenticate, requireToken } from './bearer-auth.js';
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
export function metricsRouter(options: MetricsOptions, apiToken: string | undefined, browserCheck: Middleware<AppState>): Router<AppState> {
  const router = createRouter();
  router.use(browserCheck);
  // A scraper's token names no caller: it reaches /metrics and nothing else.
  if (options.token !== undefined) router.use(requireToken(options.token));
  else router.use(authenticate(apiToken === undefined ? {} : { apiToken }));
  router.get(METRICS_PATH, async (ctx) => {
    const { contentType, body } = await options.scrape();
    ctx.set('Content-Type', contentType);
    ctx.body = body;
  });
  return router;
}
