import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { parseMintTokenInput, TOKEN_CLAIMS, type MintTokenInput, type TokenMinter } from '@llm-settings/core';
import { hmacKeyRing } from './token-secrets.js';

export interface JoseTokenMinterOptions {
  /**
   * HS256 secrets, newest first, as a comma-separated list or an array, each at least 32
   * characters: the first signs. (The verifier takes the whole list, so older ones go on
   * verifying until they are removed.)
   */
  secrets: string | readonly string[];
  /**
   * The clock tokens are issued by.
   * @default () => new Date()
   */
  now?: () => Date;
}

/**
 * Signs scoped tokens: HS256 JWTs with the scope (`llm_settings_scope`), the permissions
 * (`llm_settings_can`), `iat`, `exp`, a random `jti`, and the signing secret's `kid`.
 * @throws ConfigError when there is no secret, or one is shorter than 32 characters (named by position).
 */
export function createJoseTokenMinter(options: JoseTokenMinterOptions): TokenMinter {
  // The list is never empty: parseTokenSecrets refuses one.
  const signing = hmacKeyRing(options.secrets)[0]!;
  const now = options.now ?? (() => new Date());
  return {
    async mint(input: MintTokenInput): Promise<string> {
      const { scope, can, ttlSeconds } = parseMintTokenInput(input);
      const issuedAt = Math.floor(now().getTime() / 1000);
      return new SignJWT({ [TOKEN_CLAIMS.scope]: scope, [TOKEN_CLAIMS.can]: can })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: signing.kid })
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .setJti(randomUUID())
        .sign(await signing.key);
    },
  };
}
