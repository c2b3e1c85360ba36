import { describe, expect, it } from 'vitest';
import type { TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './options.js';
import { describeTokenChecks, expectRefused, GRANT, type TokenFixture } from './support.js';

/** Rotation: the first secret signs, every secret of the list verifies, a removed one no longer does. */
export function rotationChecks<V extends TokenVerifier>(_options: TokenVerifierContractOptions<V>, fixture: TokenFixture): void {
  describe('rotation', () => {
    it('verify - a token signed with an older secret of the list still verifies', async () => {
      const old = await (await fixture.minter(['old'])).mint(GRANT);
      expect(await fixture.verify(await fixture.verifier(['new', 'old']), old)).toMatchObject({ scope: GRANT.scope });
    });

    it('mint - signs with the first secret: a verifier holding only it accepts the token, one holding only the older refuses it', async () => {
      const token = await (await fixture.minter(['new', 'old'])).mint(GRANT);
      expect(await fixture.verify(await fixture.verifier(['new']), token)).toMatchObject({ scope: GRANT.scope });
      await expectRefused(fixture, await fixture.verifier(['old']), token, 'a token of the new secret, at a verifier of the old one');
    });

    it('verify - a token of a secret removed from the list is refused', async () => {
      const old = await (await fixture.minter(['old'])).mint(GRANT);
      await expectRefused(fixture, await fixture.verifier(['new']), old, 'a token of a retired secret');
    });
  });
}

/**
 * Registers the checks that the first secret signs, every secret verifies, and a removed one does not.
 * Call it at the top level of a test file.
 */
export function describeTokenVerifierRotation<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, rotationChecks);
}
