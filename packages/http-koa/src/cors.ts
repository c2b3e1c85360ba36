import cors from '@koa/cors';
import { ConfigError } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { REQUEST_ID_HEADER } from './request-log.js';
import { SCOPE_HEADER } from './scope-header.js';

/** The methods a page of another origin may use: those of the API's routes. */
export const CORS_ALLOWED_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;
/** The request headers the API reads, which a preflight must allow. */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'if-match', 'if-none-match', SCOPE_HEADER.toLowerCase(), REQUEST_ID_HEADER.toLowerCase()] as const;
/** Response headers a page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['ETag', REQUEST_ID_HEADER, 'Retry-After'] as const;
/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The origins of `entries` as browsers send them in `Origin` (`https://app.example`,
 * lower case, without a default port). Each entry is an http(s) origin: scheme, host
 * and optional port, nothing else; `*` and `null` are refused, the API holds secrets.
 * @throws ConfigError naming the position of an unusable entry, never its value.
 */
export function corsOriginsOf(entries: readonly string[]): ReadonlySet<string> {
  return new Set(
    entries.map((entry, index) => {
      const origin = corsOriginOf(entry);
      if (origin === null) {
        throw new ConfigError(`corsOrigins entry ${index + 1} must be an http(s) origin such as https://app.example.com (scheme, host and optional port only)`);
      }
      return origin;
    }),
  );
}

/** The origin an entry names, as browsers send it in `Origin`; null when the entry is not a bare http(s) origin. */
export function corsOriginOf(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  const bare = (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.pathname === '/';
  // `new URL` drops an empty `?` or `#`, so the entry itself must end with the host or port.
  return bare && url.search === '' && url.hash === '' && /^[^?#]*[^/?#]\/?$/.test(entry) ? url.origin : null;
}

/**
 * CORS for pages of the listed origins (@koa/cors): a preflight from one of them answers
 * 204 with the API's methods and headers, and their answers, problems included, carry
 * `Access-Control-Allow-Origin` and expose ETag. A request from any other origin (or
 * `null`) gets no CORS header: it goes on as if CORS were off, so the browser keeps the
 * answer from the page. No credentials mode: the API takes a bearer token, not cookies.
 */
export function corsMiddleware(origins: ReadonlySet<string>): Middleware<AppState> {
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('Origin');
      return origins.has(origin) ? origin : '';
    },
    allowMethods: [...CORS_ALLOWED_METHODS],
    allowHeaders: [...CORS_ALLOWED_HEADERS],
    exposeHeaders: [...CORS_EXPOSED_HEADERS],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}
