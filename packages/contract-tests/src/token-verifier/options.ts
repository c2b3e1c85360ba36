import type { RevokedBefore, TokenMinter, TokenVerifier } from '@llm-settings/core';

/** What the suite asks of a minter: its HS256 secrets (the first signs) and its clock. */
export interface TokenMinterSetup {
  /** Each at least 32 characters, made by the suite. */
  readonly secrets: readonly string[];
  readonly now: () => Date;
}

/** What the suite asks of a verifier: its HS256 secrets (all verify), clock and revocation source. */
export interface TokenVerifierSetup {
  readonly secrets: readonly string[];
  readonly now: () => Date;
  /** Null for a verifier without revocation. */
  readonly revokedBefore: RevokedBefore | null;
}

/** What the suite asks of a verifier of an identity provider's tokens: where its keys are, and what its tokens must say. */
export interface IdentityProviderSetup {
  /** The provider's key set (JWKS), served by the suite over plain http on 127.0.0.1; its tokens are RS256, with a `kid`. */
  readonly jwksUrl: string;
  /** The `iss` the tokens must carry. */
  readonly issuer: string;
  /** The `aud` the tokens must carry, or include. */
  readonly audience: string;
  /** The claim whose value, as is, is the token's scope. */
  readonly scopeClaim: string;
  readonly now: () => Date;
}

export interface TokenVerifierContractOptions<V extends TokenVerifier = TokenVerifier> {
  /** Shown in the suite title. */
  name: string;
  /** Builds a minter signing HS256 JWTs with the first secret. */
  createMinter: (setup: TokenMinterSetup) => TokenMinter | Promise<TokenMinter>;
  /** Builds the verifier under test, accepting tokens of any of the secrets. */
  createVerifier: (setup: TokenVerifierSetup) => V | Promise<V>;
  /** How many seconds past `exp` (and before `nbf`) the verifier still accepts a token, as configured by `createVerifier`. */
  clockToleranceSeconds: number;
  /**
   * Builds a verifier of the identity provider `setup` describes (minted tokens need not
   * verify). Without it, the checks that tokens of another issuer or audience, or whose key
   * set cannot be fetched, are refused are skipped.
   */
  createIdentityProviderVerifier?: (setup: IdentityProviderSetup) => V | Promise<V>;
}
