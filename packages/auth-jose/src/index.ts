export { createJoseTokenMinter } from './jose-token-minter.js';
export type { JoseTokenMinterOptions } from './jose-token-minter.js';
export { createJoseTokenVerifier, MAX_TOKEN_LENGTH } from './jose-token-verifier.js';
export type { JoseTokenVerifierOptions } from './jose-token-verifier.js';
export { MAX_KEY_SET_BYTES } from './key-set-fetch.js';
export * from './config.js';
