import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, type TestDatabase } from '../support/databases.js';
import { Figures } from './support/figures.js';
import { send, type Exchange } from './support/http-client.js';
import { killLeftoverServers, startServer, type ServerProcess } from './support/server-process.js';

/*
 * The stored key is write-only. An attacker who may save settings (a PUT without api_key
 * keeps the stored key) guesses a piece of the key as the model, tests, and looks for a
 * difference in any answer. Every answer must be the same whether the guess is part of
 * the key or not: only the probe's outcome code may depend on the key.
 */

const KNOWN_PREFIX = 'sk-proj-';
const KEY = `${KNOWN_PREFIX}${randomBytes(72).toString('base64url')}`;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SETTINGS = '/api/settings/llm';

/** What an answer tells the attacker, with the values that differ for every request taken out. */
function observable(answer: Exchange, guess: string): string {
  const text = answer.text
    .replaceAll(guess, '<guess>')
    .replace(/"latency_ms":\d+/, '"latency_ms":0')
    .replace(/"updated_at":"[^"]+"/, '"updated_at":0');
  // The length moves with the digits of latency_ms.
  const { date: _date, etag: _etag, 'x-request-id': _id, 'content-length': _length, ...headers } = answer.headers;
  return JSON.stringify({ status: answer.status, headers, text });
}

describe('key extraction through the test route', () => {
  const figures = new Figures('key extraction');
  let database: TestDatabase;
  let fake: FakeProvider;
  let server: ServerProcess;

  /** Saves `guess` as the model (keeping the stored key), then tests the stored settings. */
  const tryGuess = async (guess: string) => {
    figures.inputs++;
    figures.requests += 2;
    const put = await send(server.url, { method: 'PUT', path: SETTINGS, body: { provider: 'openai', model: guess } });
    const test = await send(server.url, { method: 'POST', path: `${SETTINGS}/test` });
    return `${observable(put, guess)}\n${observable(test, guess)}`;
  };

  beforeAll(async () => {
    database = await createDatabase('sqlite');
    fake = await startFakeProvider();
    server = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey(), OPENAI_BASE_URL: fake.baseUrls.openai });
    const saved = await send(server.url, { method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: KEY, model: 'gpt-4.1' } });
    expect(saved.status).toBe(200);
  });
  afterAll(async () => {
    await killLeftoverServers();
    await fake?.close();
    await database?.drop();
    figures.print();
  });

  it.each([
    ['the known prefix and a guess (refused: it looks like a key)', KNOWN_PREFIX],
    ['the last 7 characters of the known prefix and a guess: 8 characters of the key when right', KNOWN_PREFIX.slice(1)],
  ])('guessing the character after %s: every answer is the same, the right guess included', async (_what, known) => {
    const answers = new Set<string>();
    for (const next of BASE64URL) answers.add(await tryGuess(`${known}${next}`));
    expect(KEY.startsWith(KNOWN_PREFIX)).toBe(true);
    expect([...answers]).toHaveLength(1);
  });

  it('guessing pieces of the key that pass as model names: every answer is the same as for random pieces', async () => {
    const answers = new Set<string>();
    for (let at = KNOWN_PREFIX.length; at + 10 <= KEY.length; at += 6) {
      answers.add(await tryGuess(KEY.slice(at, at + 10)));
      answers.add(await tryGuess(randomBytes(8).toString('base64url').slice(0, 10)));
    }
    // The pieces are saved (they look like names), so the test does reach the provider.
    expect([...answers][0]).toContain('"status":200');
    expect([...answers][0]).toContain('model_not_found');
    expect([...answers]).toHaveLength(1);
  });
});
