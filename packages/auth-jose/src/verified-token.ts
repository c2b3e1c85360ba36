import type { JWTPayload } from 'jose';
import type { ScopedCaller } from '@llm-settings/core';

/**
 * A token whose signature and claims hold: who it stands for, when it was issued (`iat`),
 * and the times it is valid between (`nbf`, `exp`), in seconds, each null when absent.
 */
export interface VerifiedToken {
  readonly caller: ScopedCaller;
  readonly issuedAt: number | null;
  readonly notBefore: number | null;
  readonly expiresAt: number | null;
}

/** The token's `iat`, `nbf` and `exp`, once jose has checked them. */
export function lifetimeOf(payload: JWTPayload): Omit<VerifiedToken, 'caller'> {
  return { issuedAt: payload.iat ?? null, notBefore: payload.nbf ?? null, expiresAt: payload.exp ?? null };
}
