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

export interface TokenVerifierContractOptions<V extends TokenVerifier = TokenVerifier> {
  /** Shown in the suite title. */
  name: string;
  /** Builds a minter signing HS256 JWTs with the first secret. */
  createMinter: (setup: TokenMinterSetup) => TokenMinter | Promise<TokenMinter>;
  /** Builds the verifier under test, accepting tokens of any of the secrets. */
  createVerifier: (setup: TokenVerifierSetup) => V | Promise<V>;
  /** How many seconds past `exp` (and before `nbf`) the verifier still accepts a token, as configured by `createVerifier`. */
  clockToleranceSeconds: number;
}
