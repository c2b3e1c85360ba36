import type { JWTPayload } from 'jose';
import { PERMISSIONS, PermissionListSchema, TOKEN_CLAIMS, isScopeName, type CallerToken, type ScopedCaller } from '@llm-settings/core';
import { TokenRefusal } from './token-refusal.js';

/**
 * The caller a verified token's claims grant: `scope` (already read from its claim) must
 * be a valid scope name, and `llm_settings_can` a list of known permissions; without it,
 * `defaultCan` (every permission for an identity provider's tokens, none for minted ones).
 * @throws TokenRefusal otherwise.
 */
export function callerFromClaims(payload: JWTPayload, scope: unknown, kind: CallerToken['kind'], defaultCan: 'all' | 'none'): ScopedCaller {
  if (!isScopeName(scope)) throw new TokenRefusal('invalid scope claim');
  const claimed = payload[TOKEN_CLAIMS.can];
  if (claimed === undefined && defaultCan === 'none') throw new TokenRefusal('missing permissions claim');
  const can = claimed === undefined ? { success: true as const, data: [...PERMISSIONS] } : PermissionListSchema.safeParse(claimed);
  if (!can.success) throw new TokenRefusal('invalid permissions claim');
  return {
    kind: 'scoped',
    scope,
    can: can.data,
    token: { kind, id: typeof payload.jti === 'string' ? payload.jti : null, subject: typeof payload.sub === 'string' ? payload.sub : null },
  };
}
