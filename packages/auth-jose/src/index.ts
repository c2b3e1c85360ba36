export { createJoseTokenMinter } from './jose-token-minter.js';
export type { JoseTokenMinterOptions } from './jose-token-minter.js';
export { createJoseTokenVerifier, MAX_TOKEN_LENGTH } from './jose-token-verifier.js';
export type { JoseTokenVerifierOptions } from './jose-token-verifier.js';
export { IDENTITY_PROVIDER_ALGORITHMS, jwksUrlOf } from './identity-provider-tokens.js';
export type { IdentityProviderOptions } from './identity-provider-tokens.js';
export { MIN_TOKEN_SECRET_LENGTH, parseTokenSecrets } from './token-secrets.js';
