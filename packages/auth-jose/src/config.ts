/*
 * What reading the configuration needs of this package, without loading jose: a process
 * that mints and verifies no token (the default) then never loads it (about 80 ms of a
 * cold start here).
 */
export { IDENTITY_PROVIDER_ALGORITHMS, jwksUrlOf, jwksUrlProblem } from './identity-provider-options.js';
export type { IdentityProviderOptions } from './identity-provider-options.js';
export { MIN_TOKEN_SECRET_LENGTH, parseTokenSecrets } from './token-secrets.js';
