import { describe, expect, it } from 'vitest';
import type { TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './options.js';
import { describeTokenChecks, expectRefused, GRANT, type TokenFixture } from './support.js';

/** Revocation: tokens of a scope issued before its "revoked before" time are refused, others not. */
export function revocationChecks<V extends TokenVerifier>(_options: TokenVerifierContractOptions<V>, fixture: TokenFixture): void {
  describe('revocation', () => {
    it('verify - refuses a token of a scope revoked after the token was issued, and asks about that scope only', async () => {
      const { clock } = fixture;
      clock.set(100);
      const token = await (await fixture.minter()).mint(GRANT);
      const asked: string[] = [];
      const verifier = await fixture.verifier(['current'], async (scope) => (asked.push(scope), scope === GRANT.scope ? clock.at(200) : null));
      clock.set(300);
      await expectRefused(fixture, verifier, token, 'a revoked token');
      expect(asked).toEqual([GRANT.scope]);
    });

    it('verify - refuses a token issued before its scope was revoked within the same second (iat counts whole seconds)', async () => {
      const { clock } = fixture;
      clock.set(200.3);
      const token = await (await fixture.minter()).mint(GRANT);
      const verifier = await fixture.verifier(['current'], async (scope) => (scope === GRANT.scope ? clock.at(200.6) : null));
      clock.set(300);
      await expectRefused(fixture, verifier, token, 'a token issued 0.3 s before the revocation');
    });

    it('verify - accepts a token issued after its scope was revoked, and tokens of other scopes', async () => {
      const { clock } = fixture;
      const verifier = await fixture.verifier(['current'], async (scope) => (scope === GRANT.scope ? clock.at(200) : null));
      clock.set(201);
      const minter = await fixture.minter();
      const fresh = await minter.mint(GRANT);
      clock.set(100);
      const otherScope = await minter.mint({ ...GRANT, scope: 'tenant-b' });
      clock.set(300);
      expect(await fixture.verify(verifier, fresh)).toMatchObject({ scope: GRANT.scope });
      expect(await fixture.verify(verifier, otherScope)).toMatchObject({ scope: 'tenant-b' });
    });

    it('verify - refuses every token of a scope while its revocation source fails (closed, not open)', async () => {
      const token = await (await fixture.minter()).mint(GRANT);
      const verifier = await fixture.verifier(['current'], async () => {
        throw new Error('revocation storage down');
      });
      await expectRefused(fixture, verifier, token, 'a token whose revocation cannot be checked');
    });
  });
}

/**
 * Registers the checks that tokens issued before their scope's revocation are refused, and no others.
 * Call it at the top level of a test file.
 */
export function describeTokenVerifierRevocation<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, revocationChecks);
}
