import { ConfigError, type Logger, type MintTokenInput, type RevokedBefore, type TokenMinter, type TokenVerifier } from '@llm-settings/core';
import type { ServerConfig } from './config.js';

/*
 * The adapter (and jose with it) is imported only when tokens are configured: a process
 * without them, the default, never loads it.
 */

/** The minter of scoped tokens, with SETTINGS_TOKEN_SECRET revealed into it only; null when the variable is unset. */
export async function tokenMinterFor(config: ServerConfig): Promise<TokenMinter | null> {
  if (config.tokenSecrets === null) return null;
  const { createJoseTokenMinter } = await import('@llm-settings/auth-jose');
  return createJoseTokenMinter({ secrets: config.tokenSecrets.reveal() });
}

/**
 * The verifier of scoped tokens: minted ones (SETTINGS_TOKEN_SECRET) and the identity
 * provider's (SETTINGS_JWKS_URL …); null when neither is configured (only the admin token
 * is accepted then). `onCacheRead` is told of each read of its verified-token cache.
 */
export async function tokenVerifierFor(
  config: ServerConfig,
  logger: Logger,
  revokedBefore: RevokedBefore | null = null,
  onCacheRead: ((hit: boolean) => void) | null = null,
): Promise<TokenVerifier | null> {
  if (config.tokenSecrets === null && config.identityProvider === null) return null;
  const { createJoseTokenVerifier } = await import('@llm-settings/auth-jose');
  return createJoseTokenVerifier({
    secrets: config.tokenSecrets?.reveal() ?? null,
    identityProvider: config.identityProvider,
    logger,
    revokedBefore,
    verifiedCacheOnRead: onCacheRead ?? undefined,
  });
}

/**
 * A token from `minter`, as `mint-token` and `mintToken()` make it.
 * @throws ConfigError when SETTINGS_TOKEN_SECRET is unset; ValidationError for a bad request.
 */
export async function mintScopedToken(minter: TokenMinter | null, input: MintTokenInput): Promise<string> {
  if (minter === null) {
    throw new ConfigError('Minting scope tokens needs SETTINGS_TOKEN_SECRET: one or more comma-separated secrets of at least 32 characters (the first signs).');
  }
  return minter.mint(input);
}
