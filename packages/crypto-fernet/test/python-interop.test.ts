import { describe, expect, it } from 'vitest';
import { createFernetCipher, generateFernetKey } from '../src/index.js';
import { runPython } from './python.js';

const OLD = generateFernetKey();
const NEW = generateFernetKey();
const T0 = Date.UTC(2025, 2, 1, 8, 30, 0);
const PLAINTEXTS = ['sk-ant-INTEROP-0123456789', 'clé 鍵 🔑 e\u0301', '', 'x'.repeat(10_000), '{"provider":"openai","model":"gpt-4o"}'];

describe('interoperability with Python cryptography.fernet', () => {
  it('Python decrypts our tokens and reads our timestamp', async () => {
    const cipher = createFernetCipher({ keys: NEW, now: () => T0 });
    const tokens = await Promise.all(PLAINTEXTS.map((p) => cipher.encrypt(p)));
    const opened = runPython<Array<[string, number]>>(
      'f = Fernet(data["key"])\nresult = [[f.decrypt(t).decode("utf-8"), f.extract_timestamp(t)] for t in data["tokens"]]',
      { key: NEW, tokens },
    );
    expect(opened).toEqual(PLAINTEXTS.map((p) => [p, T0 / 1000]));
  });

  it('we decrypt tokens Python made, within a TTL measured from their timestamp', async () => {
    const tokens = runPython<string[]>(
      'f = Fernet(data["key"])\nresult = [f.encrypt_at_time(p.encode("utf-8"), data["at"]).decode() for p in data["plaintexts"]]',
      { key: NEW, plaintexts: PLAINTEXTS, at: T0 / 1000 },
    );
    const cipher = createFernetCipher({ keys: [OLD, NEW], ttlSeconds: 60, now: () => T0 + 60_000 });
    expect(await Promise.all(tokens.map((t) => cipher.decrypt(t)))).toEqual(PLAINTEXTS);
  });

  it('we decrypt what MultiFernet.rotate made, under the new key alone, with the timestamp kept', async () => {
    const [original, rotated] = runPython<[string, string]>(
      [
        'old, new = Fernet(data["old"]), Fernet(data["new"])',
        'token = old.encrypt_at_time(data["plaintext"].encode("utf-8"), data["at"])',
        'result = [token.decode(), MultiFernet([new, old]).rotate(token).decode()]',
      ].join('\n'),
      { old: OLD, new: NEW, plaintext: PLAINTEXTS[1], at: T0 / 1000 },
    );
    const newOnly = createFernetCipher({ keys: NEW });
    expect(await newOnly.decrypt(rotated)).toBe(PLAINTEXTS[1]);
    expect(newOnly.isCurrent(rotated)).toBe(true);
    expect(newOnly.isCurrent(original)).toBe(false);
    expect(Buffer.from(rotated, 'base64url').subarray(1, 9)).toEqual(Buffer.from(original, 'base64url').subarray(1, 9));
  });

  it('Python decrypts what our rotate made, under the new key alone, and reads the original timestamp', async () => {
    const original = await createFernetCipher({ keys: OLD, now: () => T0 }).encrypt(PLAINTEXTS[0]!);
    const rotated = await createFernetCipher({ keys: [NEW, OLD], now: () => T0 + 7 * 86_400_000 }).rotate(original);
    const opened = runPython<[string, number]>(
      'f = Fernet(data["key"])\nresult = [f.decrypt(data["token"]).decode("utf-8"), f.extract_timestamp(data["token"])]',
      { key: NEW, token: rotated },
    );
    expect(opened).toEqual([PLAINTEXTS[0], T0 / 1000]);
  });

  it('opens the spellings of a token Python writes (either alphabet), and refuses every spelling Python refuses', async () => {
    const token = await createFernetCipher({ keys: NEW }).encrypt('sk-INTEROP-1'); // 73 bytes: two '=' of padding
    expect(token).toMatch(/[^=]==$/);
    const body = token.slice(0, -2);
    const written = [token, token.replace(/-/g, '+').replace(/_/g, '/')]; // url-safe and standard alphabet
    const tolerated = [
      `${token.slice(0, 40)}\n${token.slice(40, 80)} ${token.slice(80)}`, // whitespace inside
      `${token.slice(0, 10)}%.${token.slice(10)}`, // other ASCII inside
      `${token}trailing`, // text after the padding
      ` ${token} `,
    ];
    const refused = [
      `${body}=`, // half the padding
      body, // no padding
      `${token.slice(0, 10)}é${token.slice(10)}`, // a non-ASCII character
    ];
    const python = runPython<boolean[]>(
      [
        'f = Fernet(data["key"])',
        'def opens(t):',
        '    try:',
        '        f.decrypt(t)',
        '        return True',
        '    except (InvalidToken, ValueError):',
        '        return False',
        'result = [opens(t) for t in data["tokens"]]',
      ].join('\n'),
      { key: NEW, tokens: [...written, ...tolerated, ...refused] },
    );
    expect(python).toEqual([...written.map(() => true), ...tolerated.map(() => true), ...refused.map(() => false)]);
    const cipher = createFernetCipher({ keys: NEW });
    const opens = (tokens: string[]) => Promise.all(tokens.map((t) => cipher.decrypt(t).then(() => true, () => false)));
    expect(await opens(written)).toEqual(written.map(() => true));
    // Python reads these too, but never writes them: refused here, as not a token.
    expect(await opens(tolerated)).toEqual(tolerated.map(() => false));
    expect(await opens(refused)).toEqual(refused.map(() => false));
  });
});
