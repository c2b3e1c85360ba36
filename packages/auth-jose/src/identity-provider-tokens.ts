import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { ConfigError } from '@llm-settings/core';
import { callerFromClaims } from './caller-claims.js';
import { IDENTITY_PROVIDER_ALGORITHMS, jwksUrlOf, type IdentityProviderOptions } from './identity-provider-options.js';
import { boundedKeySetFetch, MAX_KEY_SET_BYTES } from './key-set-fetch.js';
import { refusalOf, TokenRefusal } from './token-refusal.js';
import { lifetimeOf, type VerifiedToken } from './verified-token.js';

/**
 * Verifies an identity provider's tokens against its key set, fetched and cached by jose
 * (a `kid` it does not know causes one refetch, after the cooldown), read up to
 * MAX_KEY_SET_BYTES. A key set that fails is named in the refusal, without its query.
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
    [customFetch]: boundedKeySetFetch(MAX_KEY_SET_BYTES),
  });
  const keySetName = `${url.origin}${url.pathname}`;
  const prefix = options.scopePrefix ?? '';
  const scopeClaim = options.scopeClaim ?? 'sub';
  return async (token) => {
    // A token without `exp` would be a bearer credential for good (RFC 9068 requires it); minted tokens need it too.
    const checks = { ...timing(), issuer: options.issuer, audience: options.audience, algorithms, requiredClaims: ['exp'] };
    const { payload } = await jwtVerify(token, keySet, checks)
      .catch((error: unknown) => {
        if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
        return verifyWithEachCandidate(token, error, checks);
      })
      .catch((error: unknown) => {
        // Here only the key set can fail for the operator: say which.
        const refusal = refusalOf(error);
        throw refusal.operatorFault ? new TokenRefusal(refusal.reason, true, keySetName) : refusal;
      });
    const named = payload[scopeClaim];
    return { caller: callerFromClaims(payload, typeof named === 'string' ? `${prefix}${named}` : undefined, 'jwt', 'all'), ...lifetimeOf(payload) };
  };
}

/**
 * A token without `kid` that several keys of the set could have signed (two keys of its type
 * during a rotation): jose hands the candidates over, and each is tried, as jose's own docs do.
 */
async function verifyWithEachCandidate(token: string, candidates: errors.JWKSMultipleMatchingKeys, checks: JWTVerifyOptions) {
  for await (const key of candidates) {
    try {
      return await jwtVerify(token, key, checks);
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
}
