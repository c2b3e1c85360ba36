import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Secret, type TokenVerifier } from '@llm-settings/core';
import { createJoseTokenVerifier, type IdentityProviderOptions, type JoseTokenVerifierOptions } from '../src/index.js';
import { AUDIENCE, capturingLogger, ISSUER, providerKey, providerToken, startJwksServer, type JwksServer, type ProviderKey } from './support.js';

let jwks: JwksServer;
let rsa: ProviderKey;
let ec: ProviderKey;

beforeAll(async () => {
  [rsa, ec] = await Promise.all([providerKey('rsa-1', 'RS256'), providerKey('ec-1', 'ES256')]);
  jwks = await startJwksServer([rsa, ec]);
});
afterAll(() => jwks.close());

function verifierOf(identityProvider: Partial<IdentityProviderOptions> = {}, options: JoseTokenVerifierOptions = {}): TokenVerifier {
  return createJoseTokenVerifier({ ...options, identityProvider: { jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, ...identityProvider } });
}
const verify = (verifier: TokenVerifier, token: string) => verifier.verify(new Secret(token));

describe('identity provider tokens', () => {
  it('verify - accepts an RS256 token of the issuer: the scope is its sub, with every permission', async () => {
    const token = await providerToken(rsa, { sub: 'acme', jti: 'id-1' });
    expect(await verify(verifierOf(), token)).toEqual({
      kind: 'scoped',
      scope: 'acme',
      can: ['read', 'write', 'test', 'models', 'use'],
      token: { kind: 'jwt', id: 'id-1', subject: 'acme' },
    });
  });

  it('verify - accepts an ES256 token too', async () => {
    expect(await verify(verifierOf(), await providerToken(ec, { sub: 'acme' }))).toMatchObject({ scope: 'acme' });
  });

  it('verify - makes the scope from the configured prefix and claim', async () => {
    const token = await providerToken(rsa, { sub: 'user-7', org_id: 'acme' });
    expect(await verify(verifierOf({ scopePrefix: 'tenant:', scopeClaim: 'org_id' }), token)).toMatchObject({ scope: 'tenant:acme', token: { subject: 'user-7' } });
  });

  it('verify - grants only the permissions of llm_settings_can when the token has it', async () => {
    const token = await providerToken(rsa, { sub: 'acme', llm_settings_can: ['use', 'read'] });
    expect((await verify(verifierOf(), token))?.can).toEqual(['read', 'use']);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.test/' }],
    ['another audience', { aud: 'another-service' }],
    ['an expiry past', { exp: Math.floor(Date.now() / 1000) - 120 }],
    ['no expiry (a bearer credential without a lifetime)', { exp: undefined }],
    ['a not-before ahead', { nbf: Math.floor(Date.now() / 1000) + 600 }],
    ['an unknown permission', { llm_settings_can: ['read', 'admin'] }],
    ['no scope claim', { sub: undefined }],
    ['a scope claim that makes an invalid scope', { sub: 'a/b' }],
  ])('verify - refuses a token with %s', async (_label, claims) => {
    expect(await verify(verifierOf(), await providerToken(rsa, { sub: 'acme', ...claims }))).toBeNull();
  });

  it('verify - refuses a token signed by a key the key set does not list, under a listed kid', async () => {
    const impostor = await providerKey('rsa-1', 'RS256');
    expect(await verify(verifierOf(), await providerToken(impostor, { sub: 'acme' }))).toBeNull();
  });

  it('verify - refuses an HS256 token when no secret is configured, even one keyed with the public key', async () => {
    const { createHmac } = await import('node:crypto');
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'acme', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const signature = createHmac('sha256', JSON.stringify(rsa.jwk)).update(`${header}.${payload}`).digest('base64url');
    expect(await verify(verifierOf(), `${header}.${payload}.${signature}`)).toBeNull();
  });

  it('verify - fetches the key set once for many tokens', async () => {
    const server = await startJwksServer([rsa]);
    try {
      const verifier = verifierOf({ jwksUrl: server.url });
      for (let i = 0; i < 5; i++) expect(await verify(verifier, await providerToken(rsa, { sub: `tenant-${i}` }))).not.toBeNull();
      expect(server.fetches()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('verify - after the identity provider rotates its keys, a token of an unknown kid fetches the key set again and verifies', async () => {
    const server = await startJwksServer([rsa]);
    try {
      const verifier = verifierOf({ jwksUrl: server.url, cooldownMs: 0 });
      expect(await verify(verifier, await providerToken(rsa, { sub: 'acme' }))).not.toBeNull();
      const next = await providerKey('rsa-2', 'RS256');
      server.serve([next]);
      expect(await verify(verifier, await providerToken(next, { sub: 'acme' }))).toMatchObject({ scope: 'acme' });
      expect(server.fetches()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('verify - refuses tokens while the key set cannot be fetched, and warns without the token', async () => {
    const server = await startJwksServer([rsa]);
    await server.close();
    const logger = capturingLogger();
    const token = await providerToken(rsa, { sub: 'acme' });
    expect(await verify(verifierOf({ jwksUrl: server.url }, { logger }), token)).toBeNull();
    expect(logger.lines.map((line) => line.level)).toEqual(['warn']);
    expect(JSON.stringify(logger.lines)).not.toContain(token.split('.')[2]);
  });

  it('verify - refuses within timeoutMs a key set whose answer stalls after its headers, and verifies again once it answers', async () => {
    let stalling = true;
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      if (stalling) response.write('{"keys":');
      else response.end(JSON.stringify({ keys: [rsa.jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const verifier = verifierOf({ jwksUrl: url, timeoutMs: 200, cooldownMs: 0 });
      const token = await providerToken(rsa, { sub: 'acme' });
      const refused = verify(verifier, token);
      const outcome = await Promise.race([refused.then((caller) => ({ caller })), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3_000))]);
      expect(outcome).toEqual({ caller: null });
      stalling = false;
      expect((await verify(verifier, token))?.scope).toBe('acme');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('verify - tries each key a token without kid could be signed with, when the set holds several of its type', async () => {
    const [first, second] = await Promise.all([providerKey('first'), providerKey('second')]);
    const withoutKid = ({ jwk: { kid: _kid, ...jwk }, ...key }: ProviderKey): ProviderKey => ({ ...key, jwk });
    const server = await startJwksServer([withoutKid(first), withoutKid(second)]);
    try {
      const verifier = verifierOf({ jwksUrl: server.url });
      for (const [key, sub] of [[first, 'signed-by-first'], [second, 'signed-by-second']] as const) {
        const token = await providerToken(key, { sub }, { kid: null });
        expect((await verify(verifier, token))?.scope).toBe(sub);
      }
      const stranger = await providerKey('stranger');
      expect(await verify(verifier, await providerToken(stranger, { sub: 'acme' }, { kid: null }))).toBeNull();
    } finally {
      await server.close();
    }
  });
});

describe('identity provider options', () => {
  const options = (change: Partial<IdentityProviderOptions>) => () =>
    createJoseTokenVerifier({ identityProvider: { jwksUrl: 'https://id.example.test/jwks.json', issuer: ISSUER, audience: AUDIENCE, ...change } });

  it.each(['https://id.example.test/jwks.json', 'http://127.0.0.1:9/jwks.json', 'http://localhost:9/jwks.json', 'http://[::1]:9/jwks.json'])(
    'createJoseTokenVerifier - accepts the key set URL %s',
    (jwksUrl) => {
      expect(options({ jwksUrl })).not.toThrow();
    },
  );

  it.each(['http://id.example.test/jwks.json', 'http://10.0.0.8/jwks.json', 'ftp://127.0.0.1/jwks.json', 'not a url'])(
    'createJoseTokenVerifier - refuses the key set URL %s: https, or http on loopback only',
    (jwksUrl) => {
      expect(options({ jwksUrl })).toThrow(ConfigError);
    },
  );

  it('createJoseTokenVerifier - accepts a key set URL with a query, as some identity providers need one', () => {
    expect(options({ jwksUrl: 'https://id.example.test/discovery/keys?appid=app-7' })).not.toThrow();
  });

  it.each(['https://u:hunter2pass@id.example.test/jwks.json', 'https://hunter2pass@id.example.test/jwks.json', 'http://u:hunter2pass@127.0.0.1:9/jwks.json'])(
    'createJoseTokenVerifier - refuses the key set URL %s: no user name or password, never quoted',
    (jwksUrl) => {
      expect(options({ jwksUrl })).toThrow(new ConfigError('jwksUrl must not hold a user name or password.'));
    },
  );

  it('createJoseTokenVerifier - refuses an identity provider without issuer or audience', () => {
    expect(options({ issuer: '' })).toThrow(ConfigError);
    expect(options({ audience: '' })).toThrow(ConfigError);
  });

  it.each([['HS256'], ['none'], []])('createJoseTokenVerifier - refuses the algorithm list %j', (...algorithms) => {
    expect(options({ algorithms })).toThrow(ConfigError);
  });
});
