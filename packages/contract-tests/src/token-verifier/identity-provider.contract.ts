import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_CLAIMS, type TokenVerifier } from '@llm-settings/core';
import { startIdentityProvider, unreachableKeySetUrl, type IdentityProviderFake } from './identity-provider.js';
import type { TokenVerifierContractOptions } from './options.js';
import { describeTokenChecks, expectRefused, GRANT, type TokenFixture } from './support.js';

const ISSUER = 'https://id.contract.example/';
const AUDIENCE = 'llm-settings-contract';

/**
 * With `createIdentityProviderVerifier`: an identity provider's tokens verify with its
 * issuer and audience only, against its key set, and are refused while that key set cannot be fetched.
 */
export function identityProviderChecks<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>, fixture: TokenFixture): void {
  const create = options.createIdentityProviderVerifier;
  describe.skipIf(!create)(`identity provider tokens${create ? '' : ' (skipped: no createIdentityProviderVerifier hook)'}`, () => {
    let provider: IdentityProviderFake;
    beforeAll(async () => {
      provider = await startIdentityProvider();
    }, 30_000);
    afterAll(() => provider?.close());

    const verifierAt = async (jwksUrl = provider.jwksUrl) => create!({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, scopeClaim: 'sub', now: fixture.clock.now });
    /** The claims of a valid token of the provider, at the suite's clock, with `changes` (undefined leaves a claim out). */
    const claims = (changes: Record<string, unknown> = {}) => ({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: GRANT.scope,
      [TOKEN_CLAIMS.can]: [...GRANT.can],
      iat: fixture.clock.numericDate(),
      exp: fixture.clock.numericDate() + GRANT.ttlSeconds,
      ...changes,
    });

    it("verify - accepts a token of the verifier's issuer and audience (alone or in a list) as a caller of the scope its scope claim names", async () => {
      const verifier = await verifierAt();
      for (const aud of [AUDIENCE, ['another-service', AUDIENCE]]) {
        expect(await fixture.verify(verifier, provider.token(claims({ aud }))), `aud ${JSON.stringify(aud)}`).toMatchObject({
          kind: 'scoped',
          scope: GRANT.scope,
          can: GRANT.can,
          token: { kind: 'jwt' },
        });
      }
    });

    it.each([
      ['another issuer', { iss: 'https://id.other.example/' }],
      ['no issuer', { iss: undefined }],
      ['another audience', { aud: 'another-service' }],
      ['a list of other audiences', { aud: ['another-service', 'a-third-service'] }],
      ['no audience', { aud: undefined }],
    ])('verify - refuses a token of the identity provider with %s', async (label, changes) => {
      await expectRefused(fixture, await verifierAt(), provider.token(claims(changes)), `a token with ${label}`);
    });

    it('verify - refuses a token under the key id of the key set signed by a key it does not list', async () => {
      await expectRefused(fixture, await verifierAt(), provider.token(claims(), 'unlisted key'), 'a token of an unlisted key');
    });

    it('verify - refuses, without rejecting, every token while the key set cannot be fetched: a refused connection, an answer of 503', async () => {
      for (const [label, jwksUrl] of [
        ['a key set refusing connections', await unreachableKeySetUrl()],
        ['a key set answering 503', provider.downJwksUrl],
      ]) {
        await expectRefused(fixture, await verifierAt(jwksUrl), provider.token(claims()), `a valid token, with ${label}`);
      }
    });
  });
}

/**
 * Registers the checks of an identity provider's tokens alone (issuer, audience, unlisted keys, a key set
 * that cannot be fetched); skipped without `createIdentityProviderVerifier`. Call it at the top level of a test file.
 */
export function describeTokenVerifierIdentityProvider<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, identityProviderChecks);
}
