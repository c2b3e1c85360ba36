import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@llm-settings/core';
import { createJoseTokenVerifier, MAX_KEY_SET_BYTES } from '../src/index.js';
import { AUDIENCE, capturingLogger, ISSUER, providerKey, providerToken, type ProviderKey } from './support.js';

/** What the huge key set would have weighed: far more than the socket buffers between server and client hold. */
const HUGE_BYTES = 48 * MAX_KEY_SET_BYTES;

let rsa: ProviderKey;
beforeAll(async () => {
  rsa = await providerKey('rsa-1', 'RS256');
});

/** How one answer of the key set server ended: all written, or closed by the client first, and how much was written. */
interface Answer {
  readonly finished: boolean;
  readonly bytesWritten: number;
}

/**
 * A key set server on 127.0.0.1 answering, while `huge`, a valid key set of HUGE_BYTES (the
 * token's key, then keys of other ids), streamed as the client takes it.
 */
async function startKeySetServer() {
  let huge = true;
  const answers: Promise<Answer>[] = [];
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    if (!huge) return void response.end(JSON.stringify({ keys: [rsa.jwk] }));
    answers.push(streamHugeKeySet(response));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/keys?appid=app-7`,
    answers,
    serveNormalSet: () => void (huge = false),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function streamHugeKeySet(response: ServerResponse): Promise<Answer> {
  const closed = once(response, 'close');
  let bytesWritten = 0;
  const write = async (text: string) => {
    bytesWritten += Buffer.byteLength(text);
    if (!response.write(text)) await Promise.race([once(response, 'drain'), closed]);
  };
  await write(`{"keys":[${JSON.stringify(rsa.jwk)}`);
  for (let batch = 0; bytesWritten < HUGE_BYTES && !response.destroyed; batch++) {
    await write(Array.from({ length: 500 }, (_, i) => `,${JSON.stringify({ ...rsa.jwk, kid: `other-${batch}-${i}` })}`).join(''));
  }
  if (!response.destroyed) response.end(']}');
  await closed;
  return { finished: response.writableFinished, bytesWritten };
}

describe('identity provider key set size', () => {
  let keySet: Awaited<ReturnType<typeof startKeySetServer>>;
  beforeAll(async () => {
    keySet = await startKeySetServer();
  });
  afterAll(() => keySet.close());

  it('verify - refuses tokens while the key set is larger than MAX_KEY_SET_BYTES, closing its connection unread; warns naming its URL without the query; verifies once it is normal again', async () => {
    const logger = capturingLogger();
    const verifier = createJoseTokenVerifier({ identityProvider: { jwksUrl: keySet.url, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 }, logger });
    const token = await providerToken(rsa, { sub: 'acme' });

    expect(await verifier.verify(new Secret(token))).toBeNull();
    const [answer] = await Promise.all(keySet.answers);
    expect(answer).toMatchObject({ finished: false });
    expect(answer!.bytesWritten).toBeLessThan(HUGE_BYTES / 2);
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        fields: { reason: 'key set too large', jwks_url: keySet.url.replace('?appid=app-7', '') },
        message: 'scoped token refused: the identity provider key set or the revocation list is unavailable',
      },
    ]);

    keySet.serveNormalSet();
    expect(await verifier.verify(new Secret(token))).toMatchObject({ scope: 'acme' });
  });
});
