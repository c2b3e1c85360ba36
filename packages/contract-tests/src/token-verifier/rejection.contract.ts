import { describe, expect, it } from 'vitest';
import { TOKEN_CLAIMS, type TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './options.js';
import { describeTokenChecks, expectRefused, forge, GRANT, secretsNamed, tamperedVariants, type TokenFixture } from './support.js';

/** Rejection: tampered, foreign, unsigned, other-algorithm and ill-formed tokens are all refused alike (null). */
export function rejectionChecks<V extends TokenVerifier>(_options: TokenVerifierContractOptions<V>, fixture: TokenFixture): void {
  describe('rejection', () => {
    const minted = async () => (await fixture.minter()).mint(GRANT);
    const [currentSecret] = secretsNamed(['current']);

    it('verify - refuses a token changed at any single position: header, claims or signature, its last character included', async () => {
      const verifier = await fixture.verifier();
      for (const variant of tamperedVariants(await minted())) await expectRefused(fixture, verifier, variant, 'a tampered token');
    });

    it('verify - refuses a token signed with a secret it does not hold', async () => {
      const foreign = await (await fixture.minter(['foreign'])).mint(GRANT);
      await expectRefused(fixture, await fixture.verifier(), foreign, 'a token of another secret');
    });

    it('verify - refuses an unsigned token (alg none), with or without a signature part', async () => {
      const verifier = await fixture.verifier();
      const token = await minted();
      const unsigned = forge(token, { header: { alg: 'none' } }, 'unsigned');
      await expectRefused(fixture, verifier, unsigned, 'alg none');
      await expectRefused(fixture, verifier, `${unsigned}${token.split('.')[2]}`, 'alg none with the original signature');
      await expectRefused(fixture, verifier, forge(token, { header: { alg: 'None' } }, 'unsigned'), 'alg None');
    });

    it('verify - refuses an RS256 token, signed with an RSA key or with its HMAC secret', async () => {
      const verifier = await fixture.verifier();
      const token = await minted();
      await expectRefused(fixture, verifier, forge(token, { header: { alg: 'RS256' } }, 'rsa'), 'an RS256 token');
      await expectRefused(fixture, verifier, forge(token, { header: { alg: 'RS256' } }, { hmacSecret: currentSecret! }), 'RS256 in the header, HMAC in the signature');
    });

    it('verify - refuses HS384 and HS512 tokens signed with its own secret: HS256 only', async () => {
      const verifier = await fixture.verifier();
      const token = await minted();
      for (const alg of ['HS384', 'HS512']) await expectRefused(fixture, verifier, forge(token, { header: { alg } }, { hmacSecret: currentSecret! }), alg);
    });

    it('verify - accepts a token the suite signs as the minter would (so the refusals below are about their claims)', async () => {
      const token = await minted();
      expect(await fixture.verify(await fixture.verifier(), forge(token, {}, { hmacSecret: currentSecret! }))).toMatchObject({ scope: GRANT.scope });
    });

    it.each([
      ['an unknown permission', { [TOKEN_CLAIMS.can]: ['read', 'admin'] }],
      ['permissions that are not a list', { [TOKEN_CLAIMS.can]: 'read' }],
      ['no permissions claim', { [TOKEN_CLAIMS.can]: undefined }],
      ['no scope claim', { [TOKEN_CLAIMS.scope]: undefined }],
      ['an invalid scope', { [TOKEN_CLAIMS.scope]: '../tenant-b' }],
      ['no expiry', { exp: undefined }],
    ])('verify - refuses a well-signed token with %s', async (_label, payload) => {
      const token = forge(await minted(), { payload }, { hmacSecret: currentSecret! });
      await expectRefused(fixture, await fixture.verifier(), token, _label);
    });

    it.each([
      ['an empty string', ''],
      ['a word', 'not-a-token'],
      ['three dots', '..'],
      ['three garbage parts', 'a.b.c'],
      ['a JSON text', '{"alg":"HS256"}'],
      ['a very long token', `${'a'.repeat(40_000)}.${'b'.repeat(40_000)}.c`],
    ])('verify - resolves to null for %s, without throwing', async (_label, token) => {
      await expectRefused(fixture, await fixture.verifier(), token, _label);
    });
  });
}

/**
 * Registers the checks that tampered, foreign, unsigned, other-algorithm and ill-claimed tokens are refused.
 * Call it at the top level of a test file.
 */
export function describeTokenVerifierRejection<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): void {
  describeTokenChecks(options, rejectionChecks);
}
