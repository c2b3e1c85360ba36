import { errors } from 'jose';

/** Why a token was refused, for the log only: never sent to the caller, never holding the token. */
export class TokenRefusal extends Error {
  /**
   * @param reason a short, fixed phrase.
   * @param operatorFault true when the token may be good and the server cannot tell (a key set or revocation list unreachable).
   * @param keySet the key set that failed, as logged: its URL without the query (which may carry a credential); null for other refusals.
   */
  constructor(
    readonly reason: string,
    readonly operatorFault = false,
    readonly keySet: string | null = null,
  ) {
    super(reason);
    this.name = 'TokenRefusal';
  }
}

/** jose's codes for a key set that could not be fetched or read: the identity provider's fault, not the token's. */
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/**
 * The reason to log for an error met while verifying. jose's messages and codes name the
 * check that failed (`ERR_JWT_EXPIRED`, the claim), never the token's content. Anything
 * else comes from fetching the key set (a refused connection): told by name only.
 */
export function refusalOf(error: unknown): TokenRefusal {
  if (error instanceof TokenRefusal) return error;
  if (error instanceof errors.JOSEError) {
    // The claim checks (JWTClaimValidationFailed, JWTExpired) name the claim that failed.
    const claim = (error as { claim?: unknown }).claim;
    return new TokenRefusal(typeof claim === 'string' ? `${error.code} (${claim})` : error.code, KEY_SET_FAILURES.has(error.code));
  }
  return new TokenRefusal(error instanceof Error ? error.name : 'unknown failure', true);
}
