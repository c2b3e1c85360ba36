import * as nodeCrypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DecryptionError } from '@llm-settings/core';
import { createFernetCipher, generateFernetKey } from '../src/index.js';
import { decodeBase64Url, encodeBase64UrlPadded } from '../src/base64.js';

// Counts AES decryptions (each `update` of a decipher), to see that no tampered token
// reaches the cipher, the deciphers set up, and HMACs.
const aes = vi.hoisted(() => ({ decryptions: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const createDecipheriv = vi.fn((...args: Parameters<typeof actual.createDecipheriv>) => {
    const decipher = actual.createDecipheriv(...args);
    const update = decipher.update.bind(decipher) as (data: NodeJS.ArrayBufferView) => Buffer;
    decipher.update = ((data: NodeJS.ArrayBufferView) => {
      aes.decryptions++;
      return update(data);
    }) as typeof decipher.update;
    return decipher;
  });
  return { ...actual, createDecipheriv, createHmac: vi.fn(actual.createHmac) };
});
// Counts base64 decodings of tokens.
vi.mock('../src/base64.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/base64.js')>();
  return { ...actual, decodeBase64Url: vi.fn(actual.decodeBase64Url) };
});

describe('decrypt checks the HMAC before decrypting', () => {
  const keys = [generateFernetKey(), generateFernetKey()];
  const cipher = createFernetCipher({ keys });
  const decipherCalls = () => aes.decryptions;
  const hmacCalls = () => vi.mocked(nodeCrypto.createHmac).mock.calls.length;

  /** Changes each byte of the token in turn (XOR with `mask`): decrypt must refuse every copy. */
  const expectEveryByteChangeRefused = async (token: string, mask: number) => {
    const bytes = Buffer.from(token, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i]! ^= mask;
      await expect(cipher.decrypt(encodeBase64UrlPadded(tampered))).rejects.toBeInstanceOf(DecryptionError);
    }
  };

  beforeEach(() => {
    aes.decryptions = 0;
    vi.mocked(nodeCrypto.createDecipheriv).mockClear();
    vi.mocked(nodeCrypto.createHmac).mockClear();
  });

  it('decrypts a genuine token once', async () => {
    await cipher.decrypt(await cipher.encrypt('value'));
    expect(decipherCalls()).toBe(1);
  });

  it('checks the MAC of a token once, and decrypts it on every call', async () => {
    // Sealed by another cipher on the same ring, as another process would.
    const token = await createFernetCipher({ keys }).encrypt('value');
    vi.mocked(nodeCrypto.createHmac).mockClear();
    expect(await cipher.decrypt(token)).toBe('value');
    expect(await cipher.decrypt(token)).toBe('value');
    expect(await cipher.decrypt(token)).toBe('value');
    expect(hmacCalls()).toBe(1);
    expect(decipherCalls()).toBe(3);
  });

  it('decodes the base64 of a token it authenticated once, whoever sealed it', async () => {
    const tokens = [await cipher.encrypt('value'), await createFernetCipher({ keys }).encrypt('other')];
    vi.mocked(decodeBase64Url).mockClear();
    for (let i = 0; i < 3; i++) expect(await Promise.all(tokens.map((token) => cipher.decrypt(token)))).toEqual(['value', 'other']);
    expect(vi.mocked(decodeBase64Url)).toHaveBeenCalledTimes(1);
  });

  it('remembers the last 1,024 tokens it authenticated: an older one has its MAC checked again', async () => {
    const other = createFernetCipher({ keys });
    const tokens = await Promise.all(Array.from({ length: 1025 }, (_, i) => other.encrypt(`value ${i}`)));
    for (const token of tokens.slice(0, 1024)) await cipher.decrypt(token);
    vi.mocked(nodeCrypto.createHmac).mockClear();
    await cipher.decrypt(tokens[0]!);
    expect(hmacCalls()).toBe(0);
    // The 1,025th pushes out the first authenticated, which pushes out the second when read again.
    await cipher.decrypt(tokens[1024]!);
    expect(await cipher.decrypt(tokens[0]!)).toBe('value 0');
    expect(hmacCalls()).toBe(2);
    await cipher.decrypt(tokens[2]!);
    await cipher.decrypt(tokens[1]!);
    expect(hmacCalls()).toBe(3);
  });

  it('opens a token it sealed without checking its MAC: it made that MAC with its current key', async () => {
    const token = await cipher.encrypt('value');
    vi.mocked(nodeCrypto.createHmac).mockClear();
    expect(await cipher.decrypt(token)).toBe('value');
    expect(hmacCalls()).toBe(0);
    expect(decipherCalls()).toBe(1);
  });

  it('sets up no decipher per call: each key of the ring has one, made with the cipher', async () => {
    // One sealed here, one under the ring's second key, by another process.
    const tokens = [await cipher.encrypt('value'), await createFernetCipher({ keys: keys[1]! }).encrypt('other')];
    vi.mocked(nodeCrypto.createDecipheriv).mockClear();
    expect(await cipher.decrypt(tokens[0]!)).toBe('value');
    expect(await cipher.decrypt(tokens[1]!)).toBe('other');
    expect(await cipher.decrypt(tokens[1]!)).toBe('other');
    expect(decipherCalls()).toBe(3);
    expect(vi.mocked(nodeCrypto.createDecipheriv)).not.toHaveBeenCalled();
    createFernetCipher({ keys });
    expect(vi.mocked(nodeCrypto.createDecipheriv)).toHaveBeenCalledTimes(keys.length);
  });

  it('remembers checked MACs per ring: a ring without the key refuses a token that a ring with it opened', async () => {
    const [retired, kept] = [generateFernetKey(), generateFernetKey()];
    const token = await createFernetCipher({ keys: retired }).encrypt('value');
    expect(await createFernetCipher({ keys: [kept, retired] }).decrypt(token)).toBe('value');
    await expect(createFernetCipher({ keys: kept }).decrypt(token)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('still refuses a copy of a token it opened with one byte changed', async () => {
    const token = await cipher.encrypt('value');
    await cipher.decrypt(token);
    await expectEveryByteChangeRefused(token, 0x01);
    expect(decipherCalls()).toBe(1);
  });

  it('never decrypts a token whose MAC fails, whichever byte was changed', async () => {
    await expectEveryByteChangeRefused(await cipher.encrypt('value'), 0x80);
    expect(decipherCalls()).toBe(0);
  });

  it('reports a padding error under a valid MAC with the same error as a bad MAC', async () => {
    // Re-sign a token whose last block decrypts to bad padding, as the spec's
    // "payload padding error" vector does, and compare the two errors.
    const key = Buffer.from(generateFernetKey(), 'base64url');
    const keyText = encodeBase64UrlPadded(key);
    const signer = createFernetCipher({ keys: keyText });
    const bytes = Buffer.from(await signer.encrypt('value'), 'base64url');
    const body = bytes.subarray(0, bytes.length - 32);
    body[body.length - 17]! ^= 0x01; // the byte before the last block flips the last plaintext byte: the padding
    const mac = nodeCrypto.createHmac('sha256', key.subarray(0, 16)).update(body).digest();
    const badPadding = encodeBase64UrlPadded(Buffer.concat([body, mac]));
    const badMac = encodeBase64UrlPadded(Buffer.concat([body, Buffer.alloc(32)]));

    const paddingError = await signer.decrypt(badPadding).catch((e: unknown) => e);
    const macError = await signer.decrypt(badMac).catch((e: unknown) => e);
    expect(paddingError).toBeInstanceOf(DecryptionError);
    expect(macError).toBeInstanceOf(DecryptionError);
    expect((paddingError as Error).message).toBe((macError as Error).message);
    expect(decipherCalls()).toBe(1);
  });
});
