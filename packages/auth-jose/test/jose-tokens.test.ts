import { describe, expect, it } from 'vitest';
import { ConfigError, Secret } from '@llm-settings/core';
import { createJoseTokenMinter, createJoseTokenVerifier, parseTokenSecrets } from '../src/index.js';
import { capturingLogger } from './support.js';

const SECRET = 'a-token-secret-of-forty-characters-xxxxx';
const OLDER = 'an-older-token-secret-of-forty-chars-yyyy';

describe('token secrets', () => {
  it('parseTokenSecrets - reads a comma-separated list in order, trimmed', () => {
    expect(parseTokenSecrets(` ${SECRET} ,${OLDER}`)).toEqual([SECRET, OLDER]);
  });

  it('parseTokenSecrets - refuses secrets shorter than 32 characters, by position and never by value', () => {
    const short = 'short-secret-value';
    const error = (() => {
      try {
        parseTokenSecrets(`${SECRET},${short}`);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('entry 2');
    expect((error as Error).message).not.toContain(short);
    expect(() => parseTokenSecrets([])).toThrow(ConfigError);
  });

  it('createJoseTokenMinter - refuses a short secret', () => {
    expect(() => createJoseTokenMinter({ secrets: 'x'.repeat(31) })).toThrow(ConfigError);
  });

  it('createJoseTokenVerifier - needs secrets, an identity provider, or both', () => {
    expect(() => createJoseTokenVerifier({})).toThrow(ConfigError);
    expect(() => createJoseTokenVerifier({ secrets: SECRET, clockToleranceSeconds: -1 })).toThrow(ConfigError);
  });
});

describe('minted tokens', () => {
  it('mint - makes an HS256 JWT with the scope, permissions, iat, exp, jti and the key id', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const token = await createJoseTokenMinter({ secrets: SECRET, now: () => now }).mint({ scope: 'acme', can: ['read'], ttlSeconds: 90 });
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: expect.stringMatching(/^[\w-]{16}$/) });
    expect(payload).toEqual({ llm_settings_scope: 'acme', llm_settings_can: ['read'], iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 90, jti: expect.any(String) });
  });

  it('verify - logs the reason of a refusal at debug level, never the token', async () => {
    const logger = capturingLogger();
    const token = await createJoseTokenMinter({ secrets: OLDER }).mint({ scope: 'acme', can: ['read'], ttlSeconds: 60 });
    const expired = await createJoseTokenMinter({ secrets: SECRET, now: () => new Date(Date.now() - 3_600_000) }).mint({ scope: 'acme', can: ['read'], ttlSeconds: 60 });
    const verifier = createJoseTokenVerifier({ secrets: SECRET, logger });
    expect(await verifier.verify(new Secret(token))).toBeNull();
    expect(await verifier.verify(new Secret(expired))).toBeNull();
    expect(logger.lines).toEqual([
      { level: 'debug', fields: { reason: 'unknown key id' }, message: 'scoped token refused' },
      { level: 'debug', fields: { reason: 'ERR_JWT_EXPIRED (exp)' }, message: 'scoped token refused' },
    ]);
  });

  it('verify - a presented token that is no JWT (a mistyped API token) is refused at debug level, not blamed on the operator', async () => {
    const logger = capturingLogger();
    const verifier = createJoseTokenVerifier({ secrets: SECRET, logger });
    for (const token of ['wrong-admin-token-not-a-jwt', 'a.b.c', '...']) expect(await verifier.verify(new Secret(token))).toBeNull();
    expect(logger.lines.map(({ level, fields }) => [level, fields.reason])).toEqual([
      ['debug', 'malformed token'],
      ['debug', 'malformed token'],
      ['debug', 'malformed token'],
    ]);
  });

  it('verify - a verifier of an identity provider only refuses minted tokens', async () => {
    const token = await createJoseTokenMinter({ secrets: SECRET }).mint({ scope: 'acme', can: ['read'], ttlSeconds: 60 });
    const verifier = createJoseTokenVerifier({ identityProvider: { jwksUrl: 'http://127.0.0.1:9/jwks.json', issuer: 'https://id.example.test/', audience: 'x' } });
    expect(await verifier.verify(new Secret(token))).toBeNull();
  });
});
