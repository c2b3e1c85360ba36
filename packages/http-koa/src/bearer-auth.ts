import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_CALLER, ConfigError, Secret, type Caller, type TokenVerifier } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppContext, AppState } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/** Shortest configured token: a shorter one could be guessed. */
export const MIN_API_TOKEN_LENGTH = 16;
/** Longest configured token (the API token, the metrics token). */
export const MAX_BEARER_TOKEN_LENGTH = 1024;
/**
 * Longest token presented: an identity provider's JWT with its claims can exceed the
 * configured tokens' limit. Longer ones are refused unread (not hashed, not parsed).
 */
export const MAX_PRESENTED_TOKEN_LENGTH = 8192;
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;
/** What a configured token must be, for messages that name the option holding it. */
export const API_TOKEN_RULE = `must be ${MIN_API_TOKEN_LENGTH} to ${MAX_BEARER_TOKEN_LENGTH} printable ASCII characters without whitespace`;
/** `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1), the token is not. */
const BEARER = /^bearer +(\S+)$/i;
const REALM = 'Bearer realm="llm-settings"';

/** True when `token` can serve as the API token (see {@link API_TOKEN_RULE}). */
export function isUsableApiToken(token: string): boolean {
  return token.length >= MIN_API_TOKEN_LENGTH && token.length <= MAX_BEARER_TOKEN_LENGTH && TOKEN_CHARACTERS.test(token);
}

/**
 * Checks a configured API token at startup so that an empty or unusable one (such as
 * an unset environment variable) cannot silently weaken or disable auth.
 * @throws ConfigError naming the option, never its value.
 */
export function assertUsableApiToken(token: string): void {
  if (!isUsableApiToken(token)) throw new ConfigError(`apiToken ${API_TOKEN_RULE}`);
}

/** Who may pass a protected router's access check. */
export interface AccessOptions {
  /**
   * The operator's token: its bearer is the admin, in every scope.
   * @default undefined (no admin token)
   */
  apiToken?: string;
  /**
   * Checks scoped tokens: its bearer is a scoped caller, in the token's scope only.
   * @default null (no scoped tokens)
   */
  tokenVerifier?: TokenVerifier | null;
  /**
   * Also accept a token as `x-api-key: <token>`, the header older Anthropic SDKs and
   * curl examples send their key in, so that an SDK works unchanged with the token as
   * its key.
   * @default false
   */
  acceptXApiKey?: boolean;
}

/**
 * The access check of a protected router, which names the caller on `ctx.state.caller`
 * for its routes. A presented token must be the API token (the admin) or one the
 * verifier accepts (a scoped caller); anything else is 401, whatever the reason. A
 * request presenting nothing is 401 when an API token is configured; without one
 * (loopback, or behind a proxy that authenticates, as the operator chose) it is the
 * admin, as it always was.
 */
export function authenticate(options: AccessOptions): Middleware<AppState> {
  const adminDigest = options.apiToken === undefined ? null : (assertUsableApiToken(options.apiToken), sha256(options.apiToken));
  const verifier = options.tokenVerifier ?? null;
  if (adminDigest === null && verifier === null) {
    return (ctx, next) => {
      ctx.state.caller = ADMIN_CALLER;
      return next();
    };
  }
  const missing = options.acceptXApiKey
    ? 'This endpoint requires the API token as a bearer token in the Authorization header, or in x-api-key.'
    : 'This endpoint requires a bearer token in the Authorization header.';
  return async (ctx, next) => {
    const presented = presentedToken(ctx, options.acceptXApiKey === true);
    if (presented === null) {
      if (adminDigest !== null) throw unauthorized(missing, REALM);
      ctx.state.caller = ADMIN_CALLER;
      return next();
    }
    const caller = presented === INVALID ? null : await callerOf(presented, adminDigest, verifier);
    // One answer for every refusal; the verifier logs its reason at debug level.
    if (caller === null) throw unauthorized('The bearer token is missing or invalid.', `${REALM}, error="invalid_token"`);
    ctx.state.caller = caller;
    return next();
  };
}

/**
 * Requires one token (the metrics token) on every request, naming no caller: its
 * bearer reaches the router's routes and nothing else.
 */
export function requireToken(token: string): Middleware<AppState> {
  assertUsableApiToken(token);
  const expected = sha256(token);
  return (ctx, next) => {
    const presented = presentedToken(ctx, false);
    if (presented === null) throw unauthorized('This endpoint requires a bearer token in the Authorization header.', REALM);
    if (presented === INVALID || !digestMatches(presented, expected)) {
      throw unauthorized('The bearer token is missing or invalid.', `${REALM}, error="invalid_token"`);
    }
    return next();
  };
}

const INVALID = Symbol('invalid');

/** The token of `Authorization: Bearer` (or `x-api-key`); null without either; INVALID when malformed or oversized, unread. */
function presentedToken(ctx: AppContext, acceptXApiKey: boolean): string | typeof INVALID | null {
  const header = ctx.request.get('Authorization');
  if (header !== '') {
    // Checked on length first so that an oversized header costs no parsing.
    if (header.length > MAX_PRESENTED_TOKEN_LENGTH + 16) return INVALID;
    return BEARER.exec(header)?.[1] ?? INVALID;
  }
  const apiKey = acceptXApiKey ? ctx.request.get('x-api-key') : '';
  if (apiKey === '') return null;
  return apiKey.length > MAX_PRESENTED_TOKEN_LENGTH ? INVALID : apiKey;
}

/** The admin for the API token, else the verifier's scoped caller; null when neither accepts it. */
async function callerOf(token: string, adminDigest: Buffer | null, verifier: TokenVerifier | null): Promise<Caller | null> {
  if (token.length > MAX_PRESENTED_TOKEN_LENGTH) return null;
  if (adminDigest !== null && digestMatches(token, adminDigest)) return ADMIN_CALLER;
  return verifier === null ? null : verifier.verify(new Secret(token));
}

/**
 * Tokens are compared as SHA-256 digests with timingSafeEqual, so neither the content
 * nor the length of the configured token leaks through response timing.
 */
function digestMatches(presented: string, expected: Buffer): boolean {
  return presented.length <= MAX_PRESENTED_TOKEN_LENGTH && timingSafeEqual(sha256(presented), expected);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function unauthorized(detail: string, challenge: string): HttpError {
  return new HttpError(401, HttpErrorCodes.UNAUTHORIZED, 'Unauthorized', detail, { 'WWW-Authenticate': challenge });
}
