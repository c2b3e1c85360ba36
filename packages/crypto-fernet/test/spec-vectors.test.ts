import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DecryptionError, ErrorCodes } from '@llm-settings/core';
import { createFernetCipher, parseFernetKeys } from '../src/index.js';
import { prepareKey, sealToken } from '../src/fernet-token.js';
import { runPython } from './python.js';

/** The official fernet/spec vectors, copied into the repository (see fernet-spec/SOURCE.md). */
const specDir = resolve(dirname(fileURLToPath(import.meta.url)), 'fernet-spec');

interface Vector {
  token: string;
  now: string;
  secret: string;
  src?: string;
  iv?: number[];
  ttl_sec?: number;
  desc?: string;
}

const load = (name: string): Vector[] => JSON.parse(readFileSync(resolve(specDir, name), 'utf8')) as Vector[];
const clockAt = (iso: string) => () => Date.parse(iso);

describe('Fernet specification vectors', () => {
  it('loads every vector file', () => {
    expect(load('generate.json').length).toBeGreaterThan(0);
    expect(load('verify.json').length).toBeGreaterThan(0);
    expect(load('invalid.json').length).toBeGreaterThan(0);
  });

  describe('generate.json', () => {
    for (const vector of load('generate.json')) {
      it(`seal - reproduces the token for ${JSON.stringify(vector.src)}`, () => {
        const [key] = parseFernetKeys(vector.secret);
        const seconds = Math.floor(Date.parse(vector.now) / 1000);
        const token = sealToken(prepareKey(key!), Buffer.from(vector.src!, 'utf8'), seconds, Uint8Array.from(vector.iv!));
        expect(token).toBe(vector.token);
      });
    }
  });

  describe('verify.json', () => {
    for (const vector of load('verify.json')) {
      it(`decrypt - opens the token of ${JSON.stringify(vector.src)} within its TTL`, async () => {
        const cipher = createFernetCipher({ keys: vector.secret, ttlSeconds: vector.ttl_sec, now: clockAt(vector.now) });
        expect(await cipher.decrypt(vector.token)).toBe(vector.src);
      });
    }
  });

  describe('invalid.json', () => {
    for (const vector of load('invalid.json')) {
      it(`decrypt - rejects a token with ${vector.desc} as DecryptionError`, async () => {
        const cipher = createFernetCipher({ keys: vector.secret, ttlSeconds: vector.ttl_sec, now: clockAt(vector.now) });
        const error = await cipher.decrypt(vector.token).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as DecryptionError).code).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
      });
    }

    it('decrypt without a TTL - agrees with pyca on each vector, so the time rules caused the time rejections', async () => {
      const vectors = load('invalid.json');
      const python = runPython<boolean[]>(
        [
          'def opens(v):',
          '    try:',
          '        Fernet(v["secret"]).decrypt(v["token"])',
          '        return True',
          '    except InvalidToken:',
          '        return False',
          'result = [opens(v) for v in data]',
        ].join('\n'),
        vectors,
      );
      const ours = await Promise.all(
        vectors.map((v) => createFernetCipher({ keys: v.secret }).decrypt(v.token).then(() => true, () => false)),
      );
      expect(ours).toEqual(python);
      const opensWithoutTtl = vectors.filter((_, i) => ours[i]).map((v) => v.desc);
      expect(opensWithoutTtl).toEqual(expect.arrayContaining(['expired TTL', 'far-future TS (unacceptable clock skew)']));
    });
  });
});
