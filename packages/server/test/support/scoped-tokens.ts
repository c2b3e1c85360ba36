import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';
import { PERMISSIONS, type Permission } from '@llm-settings/core';

export const ISSUER = 'https://id.example.test/';
export const AUDIENCE = 'llm-settings';
/** A SETTINGS_TOKEN_SECRET for tests: 32 characters or more. */
export const TOKEN_SECRET = 'test-token-secret-0123456789-abcdefghij';

/** A test identity provider: its key set served on 127.0.0.1, and the tokens it signs. */
export interface IdentityProvider {
  readonly jwksUrl: string;
  /** The variables that make the server accept its tokens. */
  readonly env: Record<string, string>;
  /** A token of the provider: `sub` names the scope, a minute of life, unless `claims` say otherwise. */
  token(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    jwksUrl,
    env: { SETTINGS_JWKS_URL: jwksUrl, SETTINGS_JWT_ISSUER: ISSUER, SETTINGS_JWT_AUDIENCE: AUDIENCE },
    token: (claims) => signed(privateKey, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function signed(key: CryptoKey, claims: JWTPayload): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(key);
}

/** Every permission but `left`. */
export function allBut(left: Permission): Permission[] {
  return PERMISSIONS.filter((permission) => permission !== left);
}

/** `token` with its payload's scope claim changed and its signature kept. */
export function tampered(token: string, claims: JWTPayload): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const changed = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...claims };
  return [header, Buffer.from(JSON.stringify(changed)).toString('base64url'), signature].join('.');
}

/** An unsigned token (`alg: none`) with the claims of a valid one. */
export function unsigned(claims: JWTPayload): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60, ...claims })}.`;
}
