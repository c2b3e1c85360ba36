import { describe, expect, it } from 'vitest';
import type { TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './options.js';
import { describeTokenChecks, expectRefused, forge, GRANT, secretsNamed, type TokenFixture } from './support.js';

/** Time: `exp` and `nbf` hold, within the configured clock tolerance. */
export function timeChecks<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>, fixture: TokenFixture): void {
  const tolerance = options.clockToleranceSeconds;
  describe('time', () => {
    it('verify - accepts a token until its lifetime and the clock tolerance are over, and refuses it after', async () => {
      const { clock } = fixture;
      clock.set(0);
      const token = await (await fixture.minter()).mint({ ...GRANT, ttlSeconds: 60 });
      const verifier = await fixture.verifier();
      clock.set(59);
      expect(await fixture.verify(verifier, token)).not.toBeNull();
      clock.set(60 + tolerance - 1);
      expect(await fixture.verify(verifier, token)).not.toBeNull();
      clock.set(60 + tolerance + 1);
      await expectRefused(fixture, verifier, token, 'an expired token');
      clock.set(86_400);
      await expectRefused(fixture, verifier, token, 'a day-old token');
    });

    it('verify - refuses a token before its nbf (beyond the clock tolerance) and accepts it from then on', async () => {
      const { clock } = fixture;
      clock.set(0);
      const minted = await (await fixture.minter()).mint({ ...GRANT, ttlSeconds: 3600 });
      const notBefore = 600;
      const token = forge(minted, { payload: { nbf: clock.numericDate(notBefore) } }, { hmacSecret: secretsNamed(['current'])[0]! });
      const verifier = await fixture.verifier();
      clock.set(notBefore - tolerance - 1);
      await expectRefused(fixture, verifier, token, 'a token not yet valid');
      clock.set(notBefore);
      expect(await fixture.verify(verifier, token)).toMatchObject({ scope: GRANT.scope });
    });
  });
}

/**
 * Registers the checks that expiry and not-before hold within the clock tolerance.
 * Call it at the top level of a test file.
 */
export function describeTokenVerifierTime<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, timeChecks);
}
