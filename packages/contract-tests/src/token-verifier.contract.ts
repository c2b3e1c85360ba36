import type { TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './token-verifier/options.js';
import { identityProviderChecks } from './token-verifier/identity-provider.contract.js';
import { rejectionChecks } from './token-verifier/rejection.contract.js';
import { revocationChecks } from './token-verifier/revocation.contract.js';
import { rotationChecks } from './token-verifier/rotation.contract.js';
import { roundTripChecks } from './token-verifier/round-trip.contract.js';
import { describeTokenChecks } from './token-verifier/support.js';
import { timeChecks } from './token-verifier/time.contract.js';

export * from './token-verifier/options.js';
export { describeTokenVerifierRoundTrip } from './token-verifier/round-trip.contract.js';
export { describeTokenVerifierRejection } from './token-verifier/rejection.contract.js';
export { describeTokenVerifierTime } from './token-verifier/time.contract.js';
export { describeTokenVerifierRotation } from './token-verifier/rotation.contract.js';
export { describeTokenVerifierRevocation } from './token-verifier/revocation.contract.js';
export { describeTokenVerifierIdentityProvider } from './token-verifier/identity-provider.contract.js';

/**
 * Registers the tests every {@link TokenVerifier} of minted (HS256) tokens must pass, with
 * its minter: round trip, rejection (tampered, foreign, `alg: none`, RS256, HS384/512,
 * bad claims), time (`exp`, `nbf`), rotation of secrets, revocation, and (with
 * `createIdentityProviderVerifier`) an identity provider's issuer, audience and key set.
 * Each concern is also a suite of its own (`describeTokenVerifierRoundTrip`, `…Rejection`,
 * `…Time`, `…Rotation`, `…Revocation`, `…IdentityProvider`), with the same options. Call it
 * at the top level of a test file.
 */
export function describeTokenVerifierContract<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, roundTripChecks, rejectionChecks, timeChecks, rotationChecks, revocationChecks, identityProviderChecks);
}
