import { generateKeyPair, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

/** The path of the suite's key set; another path answers 503, as a key set that is down. */
const KEY_SET_PATH = '/.well-known/jwks.json';
const DOWN_KEY_SET_PATH = '/down/jwks.json';

/** An RS256 key of the suite's identity provider, under the key id its tokens name. */
interface ProviderKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

async function providerKey(kid: string): Promise<ProviderKey> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

/** The suite's identity provider: its key set (JWKS) on a real HTTP server on 127.0.0.1, and the tokens it signs. */
export interface IdentityProviderFake {
  /** The key set, listing one RS256 key. */
  readonly jwksUrl: string;
  /** A key set URL on the same server that answers 503. */
  readonly downJwksUrl: string;
  /**
   * A JWT of `claims` (an undefined claim is left out), signed RS256 under the listed
   * key's id: with that key, or with another key the set does not list.
   */
  token(claims: Record<string, unknown>, signer?: 'listed key' | 'unlisted key'): string;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProviderFake> {
  const [listed, unlisted] = await Promise.all([providerKey('contract-key'), providerKey('contract-key')]);
  const keySet = JSON.stringify({ keys: [{ ...listed.publicKey.export({ format: 'jwk' }), kid: listed.kid, alg: 'RS256', use: 'sig' }] });
  const server = createServer((req, res) => {
    if (req.url === KEY_SET_PATH) res.writeHead(200, { 'content-type': 'application/json' }).end(keySet);
    else res.writeHead(req.url === DOWN_KEY_SET_PATH ? 503 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    jwksUrl: `${origin}${KEY_SET_PATH}`,
    downJwksUrl: `${origin}${DOWN_KEY_SET_PATH}`,
    token(claims, signer = 'listed key') {
      const key = signer === 'listed key' ? listed : unlisted;
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${encode({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${encode({ jti: randomUUID(), ...claims })}`;
      return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // The verifiers' fetches keep their connections alive.
        server.closeAllConnections();
      }),
  };
}

/** A key set URL on 127.0.0.1 where nothing listens: connecting is refused. */
export async function unreachableKeySetUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}${KEY_SET_PATH}`;
}
