import { REQUEST_ID_HEADER } from './request-log.js';
import type { RequestStep } from './request-steps.js';

/**
 * The policy of every answer that is not a page (the settings page's files set their
 * own): nothing in it may run, load, be framed or reach this origin's storage if a
 * browser is made to render it, e.g. a provider's answer passed through.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/**
 * Sets the headers every answer carries: the request id, no-store (settings, problems
 * and health answers are per-request state), nosniff and {@link API_CSP}.
 */
export const setCommonHeaders: RequestStep = (ctx) => {
  // The computed name last: the constant ones come from the literal's template.
  ctx.response.set({
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': API_CSP,
    [REQUEST_ID_HEADER]: ctx.state.requestId,
  });
};
