import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { TOKEN_CLAIMS } from '@llm-settings/core';
import { callerFromClaims } from './caller-claims.js';
import { hmacKeyRing } from './token-secrets.js';
import { TokenRefusal } from './token-refusal.js';
import { lifetimeOf, type VerifiedToken } from './verified-token.js';

/** Verifies minted tokens: HS256 only, signed by the secret their `kid` names, with `iat`, `exp` and `jti`. */
export function mintedTokenCheck(secrets: string | readonly string[], timing: () => JWTVerifyOptions): (token: string) => Promise<VerifiedToken> {
  const keys = new Map(hmacKeyRing(secrets).map(({ kid, key }) => [kid, key]));
  return async (token) => {
    const { payload } = await jwtVerify(
      token,
      ({ kid }) => {
        const key = kid === undefined ? undefined : keys.get(kid);
        if (key === undefined) throw new TokenRefusal('unknown key id');
        return key;
      },
      { ...timing(), algorithms: ['HS256'], requiredClaims: ['iat', 'exp', 'jti'] },
    );
    return { caller: callerFromClaims(payload, payload[TOKEN_CLAIMS.scope], 'minted', 'none'), ...lifetimeOf(payload) };
  };
}
