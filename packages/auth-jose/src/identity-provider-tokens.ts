import { createRemoteJWKSet, jwtVerify, type JWTVerifyOptions } from 'jose';
import { ConfigError, isLoopbackHost } from '@llm-settings/core';
import { callerFromClaims } from './caller-claims.js';
import { lifetimeOf, type VerifiedToken } from './verified-token.js';

/** Asymmetric algorithms an identity provider signs with. HMAC is for minted tokens only. */
export const IDENTITY_PROVIDER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** The app's own identity provider, whose tokens are accepted besides minted ones. */
export interface IdentityProviderOptions {
  /** Its key set (JWKS): https, or http on a loopback address for development. */
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
 * The key set's URL, checked: https, or http to a loopback address only.
 * @throws ConfigError naming the option (`jwksUrl`), never the URL's credentials.
 */
export function jwksUrlOf(jwksUrl: string): URL {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new ConfigError('jwksUrl must be an https URL (or http on a loopback address for development).');
  }
  const plainHttpAllowed = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !plainHttpAllowed) {
    throw new ConfigError('jwksUrl must be an https URL; plain http is allowed on a loopback address (localhost, 127.0.0.1, ::1) only.');
  }
  return url;
}

/**
 * Verifies an identity provider's tokens against its key set, fetched and cached by jose
 * (a `kid` it does not know causes one refetch, after the cooldown).
 * @throws ConfigError for an unusable URL, issuer, audience or algorithm list.
 */
export function identityProviderTokenCheck(options: IdentityProviderOptions, timing: () => JWTVerifyOptions): (token: string) => Promise<VerifiedToken> {
  const url = jwksUrlOf(options.jwksUrl);
  if (options.issuer === '' || options.audience === '') throw new ConfigError('An identity provider needs an issuer and an audience.');
  const algorithms = [...(options.algorithms ?? IDENTITY_PROVIDER_ALGORITHMS)];
  const refused = algorithms.filter((alg) => !(IDENTITY_PROVIDER_ALGORITHMS as readonly string[]).includes(alg));
  if (refused.length > 0 || algorithms.length === 0) {
    throw new ConfigError(`Identity provider algorithms must be some of ${IDENTITY_PROVIDER_ALGORITHMS.join(', ')}.`);
  }
  const keySet = createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  });
  const prefix = options.scopePrefix ?? '';
  const scopeClaim = options.scopeClaim ?? 'sub';
  return async (token) => {
    const { payload } = await jwtVerify(token, keySet, { ...timing(), issuer: options.issuer, audience: options.audience, algorithms });
    const named = payload[scopeClaim];
    return { caller: callerFromClaims(payload, typeof named === 'string' ? `${prefix}${named}` : undefined, 'jwt', 'all'), ...lifetimeOf(payload) };
  };
}
