import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError } from '@llm-settings/core';
import { createFernetCipher, generateFernetKey } from '../src/index.js';
import { encodeBase64UrlPadded } from '../src/base64.js';
import { runPython } from './python.js';

const OLD = generateFernetKey();
const NEW = generateFernetKey();
const SECRET = 'sk-proj-FERNET-TEST-0123456789';
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A clock the test moves by hand. */
function manualClock(start: number) {
  let ms = start;
  return { now: () => ms, set: (value: number) => void (ms = value) };
}

/** The timestamp a token carries, in seconds. */
const timestampOf = (token: string) => Number(Buffer.from(token, 'base64url').readBigUInt64BE(1));
const ivOf = (token: string) => Buffer.from(token, 'base64url').subarray(9, 25).toString('hex');

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );

describe('createFernetCipher', () => {
  it('encrypt - stamps the token with the clock, in whole seconds', async () => {
    const cipher = createFernetCipher({ keys: NEW, now: () => T0 + 999 });
    expect(timestampOf(await cipher.encrypt(SECRET))).toBe(T0 / 1000);
  });

  it('encryptSync and decryptSync - interoperate with the async methods', async () => {
    const cipher = createFernetCipher({ keys: NEW });
    expect(cipher.decryptSync(await cipher.encrypt(SECRET))).toBe(SECRET);
    expect(await cipher.decrypt(cipher.encryptSync(SECRET))).toBe(SECRET);
  });

  it('encrypt - turns a lone surrogate into U+FFFD, as UTF-8 encoding does', async () => {
    const cipher = createFernetCipher({ keys: NEW });
    expect(await cipher.decrypt(await cipher.encrypt('a\uD800b'))).toBe('a\uFFFDb');
  });

  describe('TTL', () => {
    const clock = manualClock(T0);
    const cipher = createFernetCipher({ keys: NEW, ttlSeconds: 300, now: clock.now });
    const noTtl = createFernetCipher({ keys: NEW, now: clock.now });

    it('decrypt - accepts a token up to ttlSeconds old and rejects it one second later', async () => {
      clock.set(T0);
      const token = await cipher.encrypt(SECRET);
      clock.set(T0 + 300_999);
      expect(await cipher.decrypt(token)).toBe(SECRET);
      clock.set(T0 + 301_000);
      expect(await rejection(cipher.decrypt(token))).toBeInstanceOf(DecryptionError);
      expect(await noTtl.decrypt(token)).toBe(SECRET);
    });

    it('decrypt - accepts a token stamped up to 60 seconds ahead and rejects one stamped further', async () => {
      clock.set(T0 + 60_000);
      const ahead60 = await cipher.encrypt(SECRET);
      clock.set(T0 + 61_000);
      const ahead61 = await cipher.encrypt(SECRET);
      clock.set(T0);
      expect(await cipher.decrypt(ahead60)).toBe(SECRET);
      expect(await rejection(cipher.decrypt(ahead61))).toBeInstanceOf(DecryptionError);
      expect(await noTtl.decrypt(ahead61)).toBe(SECRET);
    });

    it('rotate - ignores the TTL, as MultiFernet.rotate does', async () => {
      clock.set(T0);
      const token = await cipher.encrypt(SECRET);
      clock.set(T0 + 3_600_000);
      const rotated = await cipher.rotate(token);
      expect(timestampOf(rotated)).toBe(T0 / 1000);
      expect(await noTtl.decrypt(rotated)).toBe(SECRET);
    });
  });

  describe('key ring', () => {
    const clock = manualClock(T0);
    const before = createFernetCipher({ keys: OLD, now: clock.now });
    const ring = createFernetCipher({ keys: [NEW, OLD], now: clock.now });
    const after = createFernetCipher({ keys: NEW, now: clock.now });

    it('decrypt - opens tokens under any key of the ring; encrypt uses the first', async () => {
      const oldToken = await before.encrypt(SECRET);
      expect(await ring.decrypt(oldToken)).toBe(SECRET);
      const ringToken = await ring.encrypt(SECRET);
      expect(await after.decrypt(ringToken)).toBe(SECRET);
      expect(await rejection(before.decrypt(ringToken))).toBeInstanceOf(DecryptionError);
    });

    it('isCurrent - tells tokens under the first key from those under an older key', async () => {
      expect(ring.isCurrent(await ring.encrypt(SECRET))).toBe(true);
      expect(ring.isCurrent(await before.encrypt(SECRET))).toBe(false);
    });

    it('isCurrent - is false for a token under the first key whose MAC does not match', async () => {
      const bytes = Buffer.from(await ring.encrypt(SECRET), 'base64url');
      bytes[30]! ^= 0x01;
      expect(ring.isCurrent(encodeBase64UrlPadded(bytes))).toBe(false);
    });

    it('rotate - re-encrypts under the first key with a new IV, keeping the original timestamp', async () => {
      clock.set(T0);
      const oldToken = await before.encrypt(SECRET);
      clock.set(T0 + 86_400_000);
      const rotated = await ring.rotate(oldToken);
      expect(ring.isCurrent(rotated)).toBe(true);
      expect(await after.decrypt(rotated)).toBe(SECRET);
      expect(timestampOf(rotated)).toBe(T0 / 1000);
      expect(ivOf(rotated)).not.toBe(ivOf(oldToken));
    });

    it('rotate - re-encrypts a token that is already current, keeping its timestamp', async () => {
      clock.set(T0);
      const token = await ring.encrypt(SECRET);
      clock.set(T0 + 5_000);
      const rotated = await ring.rotate(token);
      expect(rotated).not.toBe(token);
      expect(timestampOf(rotated)).toBe(T0 / 1000);
    });

    it('rotate - rejects a token under a key outside the ring', async () => {
      const stranger = createFernetCipher({ keys: generateFernetKey() });
      expect(await rejection(ring.rotate(await stranger.encrypt(SECRET)))).toBeInstanceOf(DecryptionError);
    });
  });

  describe('padding, checked after the MAC', () => {
    /** A token whose MAC holds, over `blocks` encrypted as they are (whole blocks, no padding added). */
    const signedToken = (key: string, blocks: Buffer) => {
      const raw = Buffer.from(key, 'base64url');
      const iv = Buffer.alloc(16, 7);
      const aes = createCipheriv('aes-128-cbc', raw.subarray(16), iv).setAutoPadding(false);
      const body = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8), iv, aes.update(blocks), aes.final()]);
      return encodeBase64UrlPadded(Buffer.concat([body, createHmac('sha256', raw.subarray(0, 16)).update(body).digest()]));
    };
    const lastBlocks = {
      'a last byte of 0': Buffer.concat([Buffer.from('sixteen bytes ok'), Buffer.from('fifteen bytes..\x00', 'latin1')]),
      'a last byte over 16, in 17 bytes of it': Buffer.alloc(32, 17),
      'a last byte of 255': Buffer.from('fifteen bytes..\xff', 'latin1'),
      'padding bytes that differ': Buffer.from('thirteen byte\x02\x03\x03', 'latin1'),
    };

    for (const [name, blocks] of Object.entries(lastBlocks)) {
      it(`decrypt - refuses ${name}, as pyca does`, async () => {
        const token = signedToken(NEW, blocks);
        expect(await rejection(createFernetCipher({ keys: NEW }).decrypt(token))).toBeInstanceOf(DecryptionError);
        expect(runPython<string>('try:\n  Fernet(data[0]).decrypt(data[1]); result = "opened"\nexcept InvalidToken:\n  result = "refused"', [NEW, token])).toBe('refused');
      });
    }

    it('decrypt - takes a whole block of padding, and padding of one', async () => {
      const cipher = createFernetCipher({ keys: NEW });
      expect(await cipher.decrypt(signedToken(NEW, Buffer.concat([Buffer.from('sixteen bytes ok'), Buffer.alloc(16, 16)])))).toBe('sixteen bytes ok');
      expect(await cipher.decrypt(signedToken(NEW, Buffer.from('fifteen bytes..\x01', 'latin1')))).toBe('fifteen bytes..');
    });
  });

  describe('plaintexts that are not UTF-8 (possible in tokens made by Python)', () => {
    const token = runPython<string>('result = Fernet(data).encrypt(b"\\xff\\xfe binary").decode()', NEW);

    it('decrypt - rejects them with DecryptionError rather than altering the bytes', async () => {
      const cipher = createFernetCipher({ keys: NEW });
      expect(await rejection(cipher.decrypt(token))).toBeInstanceOf(DecryptionError);
    });

    it('rotate - carries their bytes over unchanged', async () => {
      const rotated = await createFernetCipher({ keys: [OLD, NEW] }).rotate(token);
      expect(runPython<string>('result = Fernet(data[0]).decrypt(data[1]).hex()', [OLD, rotated])).toBe(
        Buffer.from('\xff\xfe binary', 'latin1').toString('hex'),
      );
    });
  });
});
