import { decodeProtectedHeader, type JWTVerifyOptions } from 'jose';
import { ConfigError, silentLogger, type Logger, type RevokedBefore, type ScopedCaller, type Secret, type TokenVerifier } from '@llm-settings/core';
import type { IdentityProviderOptions } from './identity-provider-options.js';
import { identityProviderTokenCheck } from './identity-provider-tokens.js';
import { mintedTokenCheck } from './minted-tokens.js';
import { refusalOf, TokenRefusal } from './token-refusal.js';
import type { VerifiedToken } from './verified-token.js';
import { verifiedTokenCache } from './verified-token-cache.js';

/** Longest token read; longer ones are refused unparsed. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

export interface JoseTokenVerifierOptions {
  /**
   * HS256 secrets that verify minted tokens, as a comma-separated list or an array, each
   * at least 32 characters (the minter's list: all verify).
   * @default null (minted tokens are refused)
   */
  secrets?: string | readonly string[] | null;
  /**
   * The app's identity provider, whose tokens are accepted too.
   * @default null (none)
   */
  identityProvider?: IdentityProviderOptions | null;
  /**
   * Clock difference allowed when checking `exp`, `nbf` and `iat` (a token issued later than
   * now plus this is refused), in seconds.
   * @default 30
   */
  clockToleranceSeconds?: number;
  /**
   * When the tokens of a scope were last revoked: those issued before are refused.
   * @default null (no revocation)
   */
  revokedBefore?: RevokedBefore | null;
  /**
   * Where the reasons for refusals go (debug), and an unreachable key set (warn).
   * @default silentLogger
   */
  logger?: Logger;
  /**
   * Most tokens kept verified in memory (by their SHA-256), so that a token presented again
   * skips its signature check; its `exp`, `nbf` and revocation are still checked each time.
   * 0 turns the cache off.
   * @default 10000
   */
  verifiedCacheMaxEntries?: number;
  /**
   * Longest a verified token is kept (never past its `exp`), in seconds: how long a key
   * withdrawn from the identity provider's key set may still accept its tokens.
   * 0 turns the cache off.
   * @default 60
   */
  verifiedCacheMaxAgeSeconds?: number;
  /**
   * Told of each read of the verified-token cache, whether the token was kept (a hit), for
   * metrics; not called when the cache is off. Must be cheap and must not throw.
   * @default undefined (not told)
   */
  verifiedCacheOnRead?: (hit: boolean) => void;
  /**
   * The clock tokens are checked against.
   * @default () => new Date()
   */
  now?: () => Date;
}

/**
 * Verifies scoped tokens: an HS256 token against the secrets (minted), any other
 * algorithm this accepts against the identity provider's key set; `none` and the rest are
 * refused. Every refusal is the same `null`.
 * @throws ConfigError when neither secrets nor an identity provider are given, or either is unusable.
 */
export function createJoseTokenVerifier(options: JoseTokenVerifierOptions): TokenVerifier {
  const now = options.now ?? (() => new Date());
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) throw new ConfigError('clockToleranceSeconds must be a number of seconds, 0 or more.');
  const timing = (): JWTVerifyOptions => ({ currentDate: now(), clockTolerance });
  const cache = verifiedTokenCache(
    wholeNumberOption(options.verifiedCacheMaxEntries ?? 10_000, 'verifiedCacheMaxEntries'),
    wholeNumberOption(options.verifiedCacheMaxAgeSeconds ?? 60, 'verifiedCacheMaxAgeSeconds') * 1000,
    options.verifiedCacheOnRead ?? null,
  );
  const minted = options.secrets == null ? null : mintedTokenCheck(options.secrets, timing);
  const identityProvider = options.identityProvider == null ? null : identityProviderTokenCheck(options.identityProvider, timing);
  if (minted === null && identityProvider === null) throw new ConfigError('A token verifier needs secrets, an identity provider, or both.');
  const revokedBefore = options.revokedBefore ?? null;
  const logger = options.logger ?? silentLogger;

  async function check(token: string): Promise<ScopedCaller> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRefusal('token too long');
    const at = now();
    const kept = cache?.get(token, at.getTime()) ?? null;
    const verified = kept ?? (await verifySignature(token));
    // Before the token is kept: a refused one never is.
    refuseOutsideLifetime(verified, Math.floor(at.getTime() / 1000), clockTolerance);
    if (kept === null) cache?.set(token, verified, at.getTime());
    if (revokedBefore !== null) await refuseRevoked(verified, revokedBefore);
    return verified.caller;
  }

  async function verifySignature(token: string): Promise<VerifiedToken> {
    const { alg } = headerOf(token);
    const verify = alg === 'HS256' ? minted : identityProvider;
    if (verify === null) throw new TokenRefusal(alg === 'HS256' ? 'minted tokens are not configured' : 'no identity provider is configured');
    return verify(token);
  }

  return {
    async verify(token: Secret): Promise<ScopedCaller | null> {
      try {
        return await check(token.reveal());
      } catch (error) {
        const { reason, operatorFault, keySet } = refusalOf(error);
        const fields = keySet === null ? { reason } : { reason, jwks_url: keySet };
        if (operatorFault) logger.warn(fields, 'scoped token refused: the identity provider key set or the revocation list is unavailable');
        else logger.debug(fields, 'scoped token refused');
        return null;
      }
    },
  };
}

/** The token's protected header; a token that has none (not a JWT: a mistyped API token) is the caller's fault, not the operator's. */
function headerOf(token: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw new TokenRefusal('malformed token');
  }
}

function wholeNumberOption(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${name} must be a whole number, 0 or more.`);
  return value;
}

/**
 * jose's checks of `exp`, `nbf` and `iat` (seconds, with the tolerance), with its reasons for
 * the log. jose makes the first two on a full verification, a kept token needs them again;
 * jose checks `iat` only given a maxTokenAge, which would also make `iat` required of an
 * identity provider's tokens. A token issued in the future would outlive a revocation of
 * its scope (see refuseRevoked).
 */
function refuseOutsideLifetime({ issuedAt, expiresAt, notBefore }: VerifiedToken, nowSeconds: number, tolerance: number): void {
  if (expiresAt !== null && expiresAt <= nowSeconds - tolerance) throw new TokenRefusal('ERR_JWT_EXPIRED (exp)');
  if (notBefore !== null && notBefore > nowSeconds + tolerance) throw new TokenRefusal('ERR_JWT_CLAIM_VALIDATION_FAILED (nbf)');
  if (issuedAt !== null && issuedAt > nowSeconds + tolerance) throw new TokenRefusal('ERR_JWT_CLAIM_VALIDATION_FAILED (iat)');
}

/**
 * Refuses a token of a scope revoked after it was issued; `iat` is in whole seconds, so a token
 * of the revocation's own second counts as before it. The comparison is exact, not widened by
 * the clock tolerance: a token issued just after a revocation is accepted (the token verifier
 * contract's revocation checks ask so), and refuseOutsideLifetime bounds how far ahead `iat` may be.
 */
async function refuseRevoked({ caller, issuedAt }: VerifiedToken, revokedBefore: RevokedBefore): Promise<void> {
  let since: Date | null;
  try {
    since = await revokedBefore(caller.scope);
  } catch {
    throw new TokenRefusal('revocation list unavailable', true);
  }
  if (since !== null && (issuedAt === null || issuedAt * 1000 < since.getTime())) throw new TokenRefusal('revoked');
}
