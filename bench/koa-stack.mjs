// The second GET baseline: the service's own stack doing the contract's work and nothing
// else. Koa, one @koa/router route `GET /api/settings/llm` answering the view bytes given
// in BARE_VIEW with the five headers the service sends on that GET (X-Request-Id, a fresh
// UUID; Cache-Control: no-store; X-Content-Type-Options: nosniff; the API's
// Content-Security-Policy; the ETag in BARE_ETAG), and one pino JSON line per request at
// `info` (method, route, status, duration, request id), written once the answer is sent,
// to stdout through the same asynchronous pino destination as the service (4 KiB writes,
// flushed every 100 ms). At LOG_LEVEL=silent, no line. What it leaves out is what the
// service adds on top: validation, the version and host checks, auth, the scope, problem
// mapping, metrics, tracing and the log line's redaction.
// Environment: PORT, BARE_VIEW, BARE_ETAG, LOG_LEVEL (default info).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

// The versions the service runs: Koa and @koa/router as http-koa has them, pino as the server.
const fromHttpKoa = createRequire(new URL('../packages/http-koa/package.json', import.meta.url));
const Koa = fromHttpKoa('koa');
const { Router } = fromHttpKoa('@koa/router');
const { pino } = createRequire(new URL('../packages/server/package.json', import.meta.url))('pino');

const SETTINGS_ROUTE = '/api/settings/llm';
/** The service's API_CSP (packages/http-koa/src/common-headers.ts), which its public entry point does not export. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";
const view = Buffer.from(process.env.BARE_VIEW ?? '{}');
const etag = process.env.BARE_ETAG ?? '"0"';
const destination = pino.destination({ dest: 1, minLength: 4096, periodicFlush: 100, sync: false });
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'llm-settings' } }, destination);

const router = new Router();
router.get(SETTINGS_ROUTE, (ctx) => {
  ctx.set({
    'X-Request-Id': ctx.state.requestId,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': API_CSP,
    ETag: etag,
  });
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = view;
});
router.get('/healthz', (ctx) => {
  ctx.body = { status: 'ok' };
});

const app = new Koa();
app.use(async (ctx, next) => {
  const started = performance.now();
  ctx.state.requestId = randomUUID();
  await next();
  if (!logger.isLevelEnabled('info')) return;
  const write = () =>
    logger.info(
      { request_id: ctx.state.requestId, method: ctx.method, route: ctx.routerPath ?? null, status: ctx.status, duration_ms: Math.round((performance.now() - started) * 10) / 10 },
      'http request',
    );
  if (ctx.res.closed) write();
  else ctx.res.once('close', write);
});
app.use(router.routes());
app.use(router.allowedMethods());

const server = app.listen(Number(process.env.PORT), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    logger.flush(() => process.exit(0));
  });
}
