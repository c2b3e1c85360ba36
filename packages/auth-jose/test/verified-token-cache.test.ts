import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Secret, type ScopedCaller } from '@llm-settings/core';
import { createJoseTokenMinter, createJoseTokenVerifier, MAX_TOKEN_LENGTH } from '../src/index.js';
import { verifiedTokenCache } from '../src/verified-token-cache.js';
import type { VerifiedToken } from '../src/verified-token.js';
import { AUDIENCE, ISSUER, providerKey, providerToken, startJwksServer, type JwksServer, type ProviderKey } from './support.js';

const SECRET = 'a-token-secret-of-forty-characters-xxxxx';
const START = Date.parse('2030-01-01T00:00:00Z');

/** A clock the test moves, in seconds from START. */
function testClock() {
  let at = START;
  return { now: () => new Date(at), set: (seconds: number) => void (at = START + seconds * 1000) };
}

async function mintedAt(clock: { now: () => Date }, ttlSeconds: number, scope = 'acme'): Promise<string> {
  return createJoseTokenMinter({ secrets: SECRET, now: clock.now }).mint({ scope, can: ['read'], ttlSeconds });
}

const verify = (verifier: { verify(token: Secret): Promise<ScopedCaller | null> }, token: string) => verifier.verify(new Secret(token));

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Another character in the place of `c`: its 6 bits with the top one flipped (a dot becomes a
 * letter). The top bit, because the last character of a segment also carries unused low bits
 * that base64url decoders ignore: there, 'A' and 'B' can spell the same bytes.
 */
const changedChar = (c: string) => (c === '.' ? 'A' : BASE64URL[BASE64URL.indexOf(c) ^ 32]);

describe('verified token cache, through the verifier', () => {
  it('verify - refuses a kept token once it has expired, with no tolerance left', async () => {
    const clock = testClock();
    const token = await mintedAt(clock, 60);
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: clock.now, clockToleranceSeconds: 0 });
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    clock.set(59);
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    clock.set(60);
    expect(await verify(verifier, token)).toBeNull();
  });

  it('verify - refuses a kept token on the first request after its scope is revoked, and accepts one issued after', async () => {
    const clock = testClock();
    let revokedAt: Date | null = null;
    const token = await mintedAt(clock, 3600);
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: clock.now, revokedBefore: async () => revokedAt });
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    clock.set(10);
    revokedAt = clock.now();
    expect(await verify(verifier, token)).toBeNull();
    clock.set(11);
    expect(await verify(verifier, await mintedAt(clock, 3600))).toMatchObject({ scope: 'acme' });
    expect(await verify(verifier, token)).toBeNull();
  });

  it('verify - refuses every single-character change of a kept token: a changed token is verified on its own', async () => {
    const clock = testClock();
    const token = await mintedAt(clock, 3600);
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: clock.now });
    expect(await verify(verifier, token)).not.toBeNull();
    for (let i = 0; i < token.length; i++) {
      const changed = token.slice(0, i) + changedChar(token[i]!) + token.slice(i + 1);
      expect(await verify(verifier, changed), `changed at ${i}`).toBeNull();
    }
    expect(await verify(verifier, `${token}A`)).toBeNull();
    expect(await verify(verifier, token.slice(0, -1))).toBeNull();
    expect(await verify(verifier, token)).not.toBeNull();
  });

  it('verify - the caller of a kept token cannot be changed by one request for the next', async () => {
    const clock = testClock();
    const token = await mintedAt(clock, 3600);
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: clock.now });
    const first = await verify(verifier, token);
    expect(() => (first!.can as string[]).push('write')).toThrow(TypeError);
    expect(await verify(verifier, token)).toEqual({ kind: 'scoped', scope: 'acme', can: ['read'], token: { kind: 'minted', id: expect.any(String), subject: null } });
  });

  it('verify - tells verifiedCacheOnRead of each read of the cache: a miss, then hits, a miss again once the token is no longer kept', async () => {
    const clock = testClock();
    const reads: boolean[] = [];
    const token = await mintedAt(clock, 3600);
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: clock.now, verifiedCacheMaxAgeSeconds: 60, verifiedCacheOnRead: (hit) => reads.push(hit) });
    expect(await verify(verifier, token)).not.toBeNull();
    expect(await verify(verifier, token)).not.toBeNull();
    expect(await verify(verifier, `${token}A`)).toBeNull();
    clock.set(60);
    expect(await verify(verifier, token)).not.toBeNull();
    expect(await verify(verifier, 'x'.repeat(MAX_TOKEN_LENGTH + 1))).toBeNull();
    // The token too long to read is refused before the cache.
    expect(reads).toEqual([false, true, false, false]);
  });

  it('verify - tells verifiedCacheOnRead nothing when the cache is off', async () => {
    const clock = testClock();
    const reads: boolean[] = [];
    const verifier = createJoseTokenVerifier({ secrets: SECRET, now: clock.now, verifiedCacheMaxEntries: 0, verifiedCacheOnRead: (hit) => reads.push(hit) });
    const token = await mintedAt(clock, 3600);
    expect(await verify(verifier, token)).not.toBeNull();
    expect(await verify(verifier, token)).not.toBeNull();
    expect(reads).toEqual([]);
  });

  it('createJoseTokenVerifier - refuses a negative or fractional cache size or age', () => {
    expect(() => createJoseTokenVerifier({ secrets: SECRET, verifiedCacheMaxEntries: -1 })).toThrow(ConfigError);
    expect(() => createJoseTokenVerifier({ secrets: SECRET, verifiedCacheMaxAgeSeconds: 0.5 })).toThrow(ConfigError);
  });
});

describe('verified token cache, with an identity provider', () => {
  let jwks: JwksServer;
  let rsa: ProviderKey;
  beforeAll(async () => {
    rsa = await providerKey('rsa-1', 'RS256');
    jwks = await startJwksServer([rsa]);
  });
  afterAll(() => jwks.close());

  it('verify - a key withdrawn from the key set refuses its tokens once their verification is older than the cache age', async () => {
    const clock = { at: Date.now(), now: () => new Date(clock.at) };
    const token = await providerToken(rsa, { sub: 'acme', exp: Math.floor(Date.now() / 1000) + 3600 });
    const verifier = createJoseTokenVerifier({
      identityProvider: { jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, cacheMaxAgeMs: 1, cooldownMs: 0 },
      verifiedCacheMaxAgeSeconds: 60,
      now: clock.now,
    });
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    jwks.serve([]);
    clock.at += 59_000;
    expect(await verify(verifier, token)).toMatchObject({ scope: 'acme' });
    clock.at += 2_000;
    expect(await verify(verifier, token)).toBeNull();
    jwks.serve([rsa]);
  });
});

describe('verifiedTokenCache', () => {
  const verified = (scope: string): VerifiedToken => ({
    caller: { kind: 'scoped', scope, can: ['read'], token: { kind: 'minted', id: null, subject: null } },
    issuedAt: 0,
    notBefore: null,
    expiresAt: null,
  });

  it('set - keeps at most maxEntries tokens, dropping the oldest kept first', () => {
    const cache = verifiedTokenCache(2, 60_000)!;
    cache.set('token-a', verified('a'), 0);
    cache.set('token-b', verified('b'), 0);
    cache.set('token-c', verified('c'), 0);
    expect(cache.get('token-a', 1)).toBeNull();
    expect(cache.get('token-b', 1)?.caller.scope).toBe('b');
    expect(cache.get('token-c', 1)?.caller.scope).toBe('c');
  });

  it('get - forgets a token after maxAgeMs, and at its exp when that comes first', () => {
    const cache = verifiedTokenCache(10, 60_000)!;
    cache.set('long-lived', verified('a'), 0);
    cache.set('short-lived', { ...verified('b'), expiresAt: 30 }, 0);
    expect(cache.get('short-lived', 29_999)).not.toBeNull();
    expect(cache.get('short-lived', 30_000)).toBeNull();
    expect(cache.get('long-lived', 59_999)).not.toBeNull();
    expect(cache.get('long-lived', 60_000)).toBeNull();
  });

  it('verifiedTokenCache - is off with 0 entries or a 0 age', () => {
    expect(verifiedTokenCache(0, 60_000)).toBeNull();
    expect(verifiedTokenCache(10, 0)).toBeNull();
  });
});
