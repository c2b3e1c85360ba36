import type Router from '@koa/router';
import { redactText, type Logger } from '@llm-settings/core';
import type { AppState } from './app-state.js';

/** Result of a readiness check: overall readiness and the outcome of each named check. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'fail'>;
}

export type ReadinessCheck = () => Promise<ReadinessReport>;

/** The readiness used when none is given: always ready, with no checks. */
export const alwaysReady: ReadinessCheck = async () => ({ ready: true, checks: {} });

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

/**
 * GET /healthz answers while the process serves requests; GET /readyz runs the
 * readiness check and answers 503 when it reports not ready or throws.
 */
export function registerHealthRoutes(router: Router<AppState>, readiness: ReadinessCheck, logger: Logger): void {
  router.get(HEALTH_PATH, (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get(READY_PATH, async (ctx) => {
    let report: ReadinessReport;
    try {
      report = await readiness();
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : 'non-error value thrown';
      logger.warn({ request_id: ctx.state.requestId, error_message: redactText(message) }, 'readiness check threw');
      report = { ready: false, checks: {} };
    }
    ctx.status = report.ready ? 200 : 503;
    ctx.body = { status: report.ready ? 'ready' : 'not_ready', checks: report.checks };
  });
}
