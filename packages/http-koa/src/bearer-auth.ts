import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppState, Caller } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/** Shortest configured token: a shorter one could be guessed. */
export const MIN_API_TOKEN_LENGTH = 16;
/** Longest token accepted, configured or presented; longer ones are refused unread. */
export const MAX_BEARER_TOKEN_LENGTH = 1024;
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

export interface BearerAuthOptions {
  /**
   * Who a request presenting the token is, on `ctx.state.caller`.
   * @default 'admin'
   */
  caller?: Exclude<Caller, 'loopback'>;
  /**
   * Also accept the token as `x-api-key: <token>`, the header older Anthropic SDKs and
   * curl examples send their key in, so that an SDK works unchanged with the token as
   * its key.
   * @default false
   */
  acceptXApiKey?: boolean;
}

/**
 * The access check of a protected router, which names the caller on `ctx.state.caller`
 * for its routes: {@link bearerAuth} with a token; without one, every request is let
 * through as `loopback`.
 */
export function authenticate(token: string | undefined, options: BearerAuthOptions = {}): Middleware<AppState> {
  if (token !== undefined) return bearerAuth(token, options);
  return (ctx, next) => {
    ctx.state.caller = 'loopback';
    return next();
  };
}

/**
 * Requires `Authorization: Bearer <token>` (or, with `acceptXApiKey`, `x-api-key:
 * <token>`) on every request it sees, and names its caller (`options.caller`). Used as router-level middleware, it runs for
 * every route of that router once the route is chosen, whatever spelling of the path
 * chose it. Tokens are compared as SHA-256 digests with timingSafeEqual, so neither the
 * content nor the length of the configured token leaks through response timing.
 */
export function bearerAuth(token: string, options: BearerAuthOptions = {}): Middleware<AppState> {
  assertUsableApiToken(token);
  const expected = sha256(token);
  const caller = options.caller ?? 'admin';
  const missing = options.acceptXApiKey
    ? 'This endpoint requires the API token as a bearer token in the Authorization header, or in x-api-key.'
    : 'This endpoint requires a bearer token in the Authorization header.';
  return async (ctx, next) => {
    const header = ctx.get('Authorization');
    const apiKey = options.acceptXApiKey ? ctx.get('x-api-key') : '';
    if (header === '' && apiKey === '') throw unauthorized(missing, REALM);
    const accepted = (header !== '' && presentedTokenMatches(header, expected)) || (apiKey !== '' && tokenMatches(apiKey, expected));
    if (!accepted) throw unauthorized('The bearer token is missing or invalid.', `${REALM}, error="invalid_token"`);
    ctx.state.caller = caller;
    await next();
  };
}

function presentedTokenMatches(header: string, expected: Buffer): boolean {
  // Checked on length first so that an oversized header costs no hashing.
  if (header.length > MAX_BEARER_TOKEN_LENGTH + 16) return false;
  const presented = BEARER.exec(header)?.[1];
  return presented !== undefined && tokenMatches(presented, expected);
}

function tokenMatches(presented: string, expected: Buffer): boolean {
  return presented.length <= MAX_BEARER_TOKEN_LENGTH && timingSafeEqual(sha256(presented), expected);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function unauthorized(detail: string, challenge: string): HttpError {
  return new HttpError(401, HttpErrorCodes.UNAUTHORIZED, 'Unauthorized', detail, { 'WWW-Authenticate': challenge });
}
