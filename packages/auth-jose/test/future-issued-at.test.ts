import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret, type TokenVerifier } from '@llm-settings/core';
import { createJoseTokenMinter, createJoseTokenVerifier, type JoseTokenVerifierOptions } from '../src/index.js';
import { AUDIENCE, capturingLogger, ISSUER, providerKey, providerToken, startJwksServer, type JwksServer, type ProviderKey } from './support.js';

const SECRET = 'a-token-secret-of-forty-characters-xxxxx';
/** The verifier's default clock tolerance, in seconds. */
const TOLERANCE = 30;
const IAT_REFUSED = { level: 'debug', fields: { reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED (iat)' }, message: 'scoped token refused' };

const verify = (verifier: TokenVerifier, token: string) => verifier.verify(new Secret(token));
const nowSeconds = () => Math.floor(Date.now() / 1000);

let jwks: JwksServer;
let rsa: ProviderKey;
beforeAll(async () => {
  rsa = await providerKey('rsa-1', 'RS256');
  jwks = await startJwksServer([rsa]);
});
afterAll(() => jwks.close());

const verifierOf = (options: JoseTokenVerifierOptions = {}) =>
  createJoseTokenVerifier({ secrets: SECRET, identityProvider: { jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE }, ...options });

describe('a token issued in the future', () => {
  it('verify - refuses an identity provider token whose iat is later than now plus the clock tolerance, at debug level, and accepts one within it', async () => {
    const logger = capturingLogger();
    const verifier = verifierOf({ logger });
    const ahead = await providerToken(rsa, { sub: 'acme', iat: nowSeconds() + 3600, exp: nowSeconds() + 7200 });
    expect(await verify(verifier, ahead)).toBeNull();
    expect(logger.lines).toEqual([IAT_REFUSED]);
    const withinTolerance = await providerToken(rsa, { sub: 'acme', iat: nowSeconds() + TOLERANCE - 10 });
    expect(await verify(verifier, withinTolerance)).toMatchObject({ scope: 'acme' });
  });

  it('verify - refuses a minted token whose iat is later than now plus the clock tolerance, at debug level, and accepts one within it', async () => {
    const logger = capturingLogger();
    const verifier = verifierOf({ logger });
    const mintedIn = (seconds: number) =>
      createJoseTokenMinter({ secrets: SECRET, now: () => new Date(Date.now() + seconds * 1000) }).mint({ scope: 'acme', can: ['read'], ttlSeconds: 7200 });
    expect(await verify(verifier, await mintedIn(3600))).toBeNull();
    expect(logger.lines).toEqual([IAT_REFUSED]);
    expect(await verify(verifier, await mintedIn(TOLERANCE - 10))).toMatchObject({ scope: 'acme' });
  });

  it('verify - never keeps a refused token in the verified-token cache: once its iat is within the tolerance, it is verified in full', async () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    let at = start;
    const reads: boolean[] = [];
    const token = await createJoseTokenMinter({ secrets: SECRET, now: () => new Date(start + 60_000) }).mint({ scope: 'acme', can: ['read'], ttlSeconds: 3600 });
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: () => new Date(at), verifiedCacheOnRead: (hit) => reads.push(hit) });
    expect(await verify(verifier, token)).toBeNull();
    at = start + (60 - TOLERANCE) * 1000;
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    expect(reads).toEqual([false, false, true]);
  });

  it('verify - an identity provider token issued an hour ahead does not outlive a revocation of its scope', async () => {
    let revokedAt: Date | null = null;
    const verifier = verifierOf({ revokedBefore: async (scope) => (scope === 'tenant-r' ? revokedAt : null) });
    const ahead = await providerToken(rsa, { sub: 'tenant-r', iat: nowSeconds() + 3600, exp: nowSeconds() + 7200 });
    const current = await providerToken(rsa, { sub: 'tenant-r', exp: nowSeconds() + 7200 });
    expect(await verify(verifier, ahead)).toBeNull();
    expect(await verify(verifier, current)).toMatchObject({ scope: 'tenant-r' });
    revokedAt = new Date();
    expect(await verify(verifier, ahead)).toBeNull();
    expect(await verify(verifier, current)).toBeNull();
  });
});
