import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/**
 * Refuses, before the token check and the route, the requests a browser makes for a
 * page that may not call the API (403 `HTTP.FORBIDDEN_ORIGIN`), following the Fetch
 * Metadata resource-isolation policy:
 * - an `Origin` that is neither the server's own origin nor one of `corsOrigins`
 *   (`null` and malformed values included). Compared exactly, scheme, host and port, as
 *   browsers write them: a page on another port of the same machine is another origin.
 *   The server's own origin is the one the request was addressed to, its `Host` as
 *   received (port included), under `http` or `https`: the server speaks plain HTTP, so
 *   an `https` origin naming that Host reached it through a TLS-terminating proxy;
 * - `Sec-Fetch-Mode: no-cors`: images, scripts, styles and no-cors fetches, which a page
 *   of any site can aim at the API without being able to read the answer, but whose
 *   effect (a provider call with the stored key) happens all the same;
 * - `Sec-Fetch-Site: cross-site` or `same-site` without an allowed `Origin`: navigations
 *   and form posts from other sites, `localhost:<other port>` included (same-site).
 *
 * Requests without these headers (curl, SDKs, other servers, browsers before Fetch
 * Metadata) are not from a page of another site as far as the server can tell, and pass.
 */
export function browserRequestCheck(corsOrigins: ReadonlySet<string>): Middleware<AppState> {
  return async (ctx, next) => {
    const origin = ctx.get('Origin');
    const allowedOrigin = origin !== '' && (corsOrigins.has(origin) || isOwnOrigin(origin, ctx.get('Host')));
    if (origin !== '' && !allowedOrigin) throw forbidden('Requests from pages of another origin are refused.');
    if (ctx.get('Sec-Fetch-Mode') === 'no-cors') {
      throw forbidden('Requests a page makes without CORS (images, scripts, no-cors fetches) are refused.');
    }
    const site = ctx.get('Sec-Fetch-Site');
    if ((site === 'cross-site' || site === 'same-site') && !allowedOrigin) throw forbidden('Requests from pages of another site are refused.');
    await next();
  };
}

/**
 * Whether `origin` is the one the request was addressed to. Browsers write both the
 * Host and the Origin canonically (lower case, default port left out), so the strings
 * compare as they are; an empty Host (HTTP/1.0) names no origin.
 */
function isOwnOrigin(origin: string, host: string): boolean {
  return host !== '' && (origin === `http://${host}` || origin === `https://${host}`);
}

function forbidden(detail: string): HttpError {
  return new HttpError(403, HttpErrorCodes.FORBIDDEN_ORIGIN, 'Forbidden origin', detail);
}
