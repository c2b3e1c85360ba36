import { ConfigError, isLoopbackHost } from '@llm-settings/core';

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
