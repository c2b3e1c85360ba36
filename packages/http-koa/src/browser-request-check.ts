import { HttpError, HttpErrorCodes } from './problems.js';
import type { RequestStep } from './request-steps.js';

/**
 * Refuses, before any route runs, a browser request whose `Origin` is neither the
 * server's own origin nor one of `corsOrigins`, `null` and malformed values included
 * (403 `HTTP.FORBIDDEN_ORIGIN`). Compared exactly, scheme, host and port, as browsers
 * write them: a page on another port of the same machine is another origin. The
 * server's own origin is the one the request was addressed to: its `Host` as received
 * (port included), under `http` or `https`, since the server speaks plain HTTP and an
 * `https` origin naming that Host reached it through a TLS-terminating proxy.
 * Requests without `Origin` (curl, SDKs, other servers; browsers' GETs) pass on to
 * {@link fetchMetadataCheck}.
 */
export function originCheck(corsOrigins: ReadonlySet<string>): RequestStep {
  return (ctx) => {
    const { headers } = ctx.request;
    const origin = headers.origin ?? '';
    if (origin !== '' && !isAllowedOrigin(origin, headers.host ?? '', corsOrigins)) throw forbidden('Requests from pages of another origin are refused.');
  };
}

/**
 * The API routes' refusal of what a browser marks as made for a page that may not call
 * them (403 `HTTP.FORBIDDEN_ORIGIN`), following the Fetch Metadata resource-isolation
 * policy:
 * - `Sec-Fetch-Mode: no-cors`: images, scripts, styles and no-cors fetches, which a page
 *   of any site can aim at the API without reading the answer, while the effect (a
 *   provider call with the stored key) happens all the same. No page of the server's
 *   own loads the API that way either;
 * - `Sec-Fetch-Site: cross-site` or `same-site` without an allowed `Origin` (see
 *   {@link originCheck}): links, navigations and GETs from other sites, which carry no
 *   Origin; `localhost:<other port>` is same-site with `localhost:<port>`.
 * Requests without these headers (curl, SDKs, other servers, browsers before Fetch
 * Metadata) are not marked as a page's, and pass.
 */
export function fetchMetadataCheck(corsOrigins: ReadonlySet<string>): RequestStep {
  return (ctx) => {
    // Read from Node's headers (lower-case names) rather than ctx.get, on every request.
    const { headers } = ctx.request;
    if (headers['sec-fetch-mode'] === 'no-cors') throw forbidden('Requests a page makes without CORS (images, scripts, no-cors fetches) are refused.');
    const site = headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && !isAllowedOrigin(headers.origin ?? '', headers.host ?? '', corsOrigins)) {
      throw forbidden('Requests from pages of another site are refused.');
    }
  };
}

/**
 * Whether `origin` is a listed one or the one the request was addressed to. Browsers
 * write both the Host and the Origin canonically (lower case, default port left out),
 * so the strings compare as they are; an empty Host (HTTP/1.0) names no origin.
 */
function isAllowedOrigin(origin: string, host: string, corsOrigins: ReadonlySet<string>): boolean {
  if (origin === '') return false;
  return corsOrigins.has(origin) || (host !== '' && (origin === `http://${host}` || origin === `https://${host}`));
}

function forbidden(detail: string): HttpError {
  return new HttpError(403, HttpErrorCodes.FORBIDDEN_ORIGIN, 'Forbidden origin', detail);
}
