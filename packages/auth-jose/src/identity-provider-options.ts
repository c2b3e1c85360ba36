import { ConfigError, isLoopbackHost } from '@llm-settings/core';

/** Asymmetric algorithms an identity provider signs with. HMAC is for minted tokens only. */
export const IDENTITY_PROVIDER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** The app's own identity provider, whose tokens are accepted besides minted ones. */
export interface IdentityProviderOptions {
  /**
   * Its key set (JWKS): https, or http on a loopback address for development; no user name or
   * password (see {@link jwksUrlProblem}).
   */
  jwksUrl: string;
  /** The `iss` its tokens must carry. */
  issuer: string;
  /** The `aud` its tokens must include. */
  audience: string;
  /**
   * Put before the scope claim's value to make the scope (`tenant:` makes `tenant:acme`).
   * @default ''
   */
  scopePrefix?: string;
  /**
   * The claim naming the scope.
   * @default 'sub'
   */
  scopeClaim?: string;
  /**
   * Algorithms accepted; HS* and `none` are never.
   * @default IDENTITY_PROVIDER_ALGORITHMS
   */
  algorithms?: readonly string[];
  /**
   * Deadline of one fetch of the key set.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * After a fetch, how long a token with an unknown `kid` waits before it may cause another
   * (so that made-up key ids cannot flood the identity provider).
   * @default 30000
   */
  cooldownMs?: number;
  /**
   * How long the fetched key set is used before it is fetched again.
   * @default 600000
   */
  cacheMaxAgeMs?: number;
}

/**
 * Why `value` cannot be a key set URL, as the end of a sentence naming it, or null when it
 * can: https, or http to a loopback address only, and no user name or password (fetch
 * refuses such a URL and quotes it, credentials included, in its error). A query is
 * allowed, as some identity providers need one (Entra ID's `?appid=`).
 */
export function jwksUrlProblem(value: string): string | null {
  const url = URL.canParse(value) ? new URL(value) : null;
  const plainHttpAllowed = url?.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url === null || (url.protocol !== 'https:' && !plainHttpAllowed)) {
    return 'must be an https URL (plain http only on a loopback address: localhost, 127.0.0.1, ::1)';
  }
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password';
  return null;
}

/**
 * The key set's URL, checked (see {@link jwksUrlProblem}).
 * @throws ConfigError naming the option (`jwksUrl`), never the URL.
 */
export function jwksUrlOf(jwksUrl: string): URL {
  const problem = jwksUrlProblem(jwksUrl);
  if (problem !== null) throw new ConfigError(`jwksUrl ${problem}.`);
  return new URL(jwksUrl);
}
