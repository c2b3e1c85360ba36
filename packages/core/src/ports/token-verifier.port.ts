import type { MintTokenInput, ScopedCaller } from '../callers.js';
import type { Secret } from '../secret.js';

/**
 * The claims that carry a scoped token's grant, in minted tokens and in those of an
 * identity provider (which names the scope with a claim of its own choice instead).
 */
export const TOKEN_CLAIMS = {
  /** The scope of a minted token. */
  scope: 'llm_settings_scope',
  /** The permissions: an array of {@link PERMISSIONS} names. */
  can: 'llm_settings_can',
} as const;

/**
 * When tokens of a scope were last revoked: tokens of that scope issued before it are
 * refused. Null when they never were. Called on every verification, so it should answer
 * from a cache.
 */
export type RevokedBefore = (scope: string) => Promise<Date | null>;

/** Signs scoped tokens (SETTINGS_TOKEN_SECRET). */
export interface TokenMinter {
  /**
   * A token granting `can` in `scope` for `ttlSeconds`, with an id of its own (`jti`).
   * @returns the token, printable (a JWT).
   * @throws ValidationError for an invalid scope, an empty list or an unknown permission,
   *   or a lifetime out of range (see MintTokenInputSchema).
   */
  mint(input: MintTokenInput): Promise<string>;
}

/** Checks scoped tokens: minted ones, and an identity provider's when one is configured. */
export interface TokenVerifier {
  /**
   * The caller a token stands for.
   * @returns the scoped caller, or null when the token is refused for any reason
   *   (malformed, badly signed, another algorithm, expired, not yet valid, wrong issuer or
   *   audience, an unknown permission, revoked, the identity provider's keys unreachable):
   *   callers cannot tell the reasons apart. The reason is logged at debug level (an
   *   unreachable key set at warn, for the operator), never the token. Never rejects.
   */
  verify(token: Secret): Promise<ScopedCaller | null>;
}
