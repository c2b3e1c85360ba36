import { describe, expect, it } from 'vitest';
import { ErrorCodes, type TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './options.js';
import { describeTokenChecks, GRANT, secretsNamed, type TokenFixture } from './support.js';

/** Round trip: a minted token verifies as its grant; mint refuses bad requests. */
export function roundTripChecks<V extends TokenVerifier>(_options: TokenVerifierContractOptions<V>, fixture: TokenFixture): void {
  describe('round trip', () => {
    it('verify - a minted token stands for its scope and permissions, as a minted token with its id', async () => {
      const token = await (await fixture.minter()).mint({ ...GRANT, can: ['read', 'test'] });
      const caller = await fixture.verify(await fixture.verifier(), token);
      expect(caller).toMatchObject({ kind: 'scoped', scope: GRANT.scope, can: ['read', 'test'], token: { kind: 'minted' } });
      expect(caller?.token.id).toEqual(expect.any(String));
      expect(caller?.token.id).not.toBe('');
    });

    it('verify - a token with every permission grants all five', async () => {
      const token = await (await fixture.minter()).mint({ ...GRANT, can: ['use', 'models', 'test', 'write', 'read'] });
      expect((await fixture.verify(await fixture.verifier(), token))?.can).toEqual(['read', 'write', 'test', 'models', 'use']);
    });

    it('mint - each token has an id of its own, for the same grant at the same second', async () => {
      const minter = await fixture.minter();
      const verifier = await fixture.verifier();
      const ids = new Set<string | null>();
      for (let i = 0; i < 5; i++) ids.add((await fixture.verify(verifier, await minter.mint(GRANT)))?.token.id ?? null);
      expect(ids.size).toBe(5);
      expect(ids.has(null)).toBe(false);
    });

    it('mint - the token holds no secret of the minter, in any encoding', async () => {
      const token = await (await fixture.minter(['current', 'older'])).mint(GRANT);
      for (const secret of secretsNamed(['current', 'older'])) {
        expect(token).not.toContain(secret);
        expect(token).not.toContain(Buffer.from(secret).toString('base64url').slice(0, 40));
      }
    });

    it.each([
      ['an unknown permission', { can: ['read', 'delete'] }],
      ['no permission', { can: [] }],
      ['an invalid scope', { scope: '../other' }],
      ['a lifetime of 0 seconds', { ttlSeconds: 0 }],
      ['a lifetime in fractions of a second', { ttlSeconds: 1.5 }],
    ])('mint - refuses a request with %s as invalid input', async (_label, change) => {
      const minter = await fixture.minter();
      const error = await minter.mint({ ...GRANT, ...change } as never).then(
        () => expect.fail('mint accepted an invalid request'),
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: ErrorCodes.VALIDATION_INVALID_INPUT });
    });
  });
}

/**
 * Registers the checks that a minted token verifies as its scope, permissions and id, and that mint refuses bad requests.
 * Call it at the top level of a test file.
 */
export function describeTokenVerifierRoundTrip<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, roundTripChecks);
}
