import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import type { Logger, LogFields } from '@llm-settings/core';

/** A signing key of the test identity provider, and its public JWK as the key set lists it. */
export interface ProviderKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function providerKey(kid: string, alg = 'RS256'): Promise<ProviderKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An identity provider's key set on a real HTTP server on 127.0.0.1, counting its fetches. */
export interface JwksServer {
  readonly url: string;
  /** The keys served from now on. */
  serve(keys: readonly ProviderKey[]): void;
  fetches(): number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly ProviderKey[]): Promise<JwksServer> {
  let served = keys;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    fetches++;
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served.map((key) => key.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    serve: (next) => void (served = next),
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const ISSUER = 'https://id.example.test/';
export const AUDIENCE = 'llm-settings';

/** A token of the test identity provider: issuer, audience, a minute of life, unless `claims` say otherwise; `kid: null` leaves the key id out. */
export async function providerToken(key: ProviderKey, claims: JWTPayload, header: { alg?: string; kid?: string | null } = {}): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const kid = header.kid === undefined ? key.kid : header.kid;
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, iat: nowSeconds, exp: nowSeconds + 60, ...claims })
    .setProtectedHeader({ alg: header.alg ?? key.alg, ...(kid === null ? {} : { kid }) })
    .sign(key.privateKey);
}

/** A logger keeping its lines, to check what is logged and what is not. */
export function capturingLogger(): Logger & { lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
