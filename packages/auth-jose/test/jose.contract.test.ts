import { describeTokenVerifierContract } from '@llm-settings/contract-tests';
import { createJoseTokenMinter, createJoseTokenVerifier } from '../src/index.js';

describeTokenVerifierContract({
  name: 'jose HS256 tokens',
  createMinter: ({ secrets, now }) => createJoseTokenMinter({ secrets, now }),
  createVerifier: ({ secrets, now, revokedBefore }) => createJoseTokenVerifier({ secrets, now, revokedBefore, clockToleranceSeconds: 30 }),
  clockToleranceSeconds: 30,
  createIdentityProviderVerifier: ({ jwksUrl, issuer, audience, scopeClaim, now }) =>
    createJoseTokenVerifier({ identityProvider: { jwksUrl, issuer, audience, scopeClaim }, now, clockToleranceSeconds: 30 }),
});

describeTokenVerifierContract({
  name: 'jose HS256 tokens without clock tolerance',
  createMinter: ({ secrets, now }) => createJoseTokenMinter({ secrets, now }),
  createVerifier: ({ secrets, now, revokedBefore }) => createJoseTokenVerifier({ secrets, now, revokedBefore, clockToleranceSeconds: 0 }),
  clockToleranceSeconds: 0,
});
