import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { serve, type RunningServer } from '../../src/serve.js';
import { createSqliteDatabase, type TestDatabase } from '../support/databases.js';
import { startEchoProvider, type EchoMode, type EchoProvider } from '../support/echo-provider.js';
import { keyEchoFinder } from '../support/leaks.js';
import { captureLogs } from '../support/logs.js';

/*
 * Header echo: a provider (or a gateway in its place) that echoes the key it was called
 * with, whole, in runs and masked, in every header the pass-through passes on and in its
 * body, at every status and in every body type, the event stream cutting the key in two
 * across chunks. No answer holds the key, a run of 8 of its secret part or its masked
 * echo, whatever the key's shape. And a caller who sends guesses, which the provider
 * echoes back, gets the same answer whether a guess is part of the key or not.
 */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomText = (length: number) => Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');

/** Fresh per run. `prefix`: the key's public part, which every key of its kind starts with. */
const KEYS = {
  anthropic: { provider: 'anthropic', prefix: 'sk-ant-api03-', key: `sk-ant-api03-${randomText(93)}AA` },
  'openai-project': { provider: 'openai', prefix: 'sk-proj-', key: `sk-proj-${randomText(156)}` },
  gateway: { provider: 'openai', prefix: '', key: `gw${randomText(40)}` },
  long: { provider: 'openai', prefix: 'sk-', key: `sk-${randomText(505)}` },
} as const;
type Scope = keyof typeof KEYS;
const SCOPES = Object.keys(KEYS) as Scope[];
const STATUSES = [200, 400, 401, 403, 404, 429, 500];
const BODIES: EchoMode['body'][] = ['json', 'event-stream', 'text'];

/** One answer of the pass-through, as its caller gets it. */
interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

let database: TestDatabase;
let echo: EchoProvider;
let server: RunningServer;

beforeAll(async () => {
  database = createSqliteDatabase();
  echo = await startEchoProvider();
  server = await serve({
    env: {
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: generateFernetKey(),
      PORT: '0',
      ANTHROPIC_BASE_URL: echo.baseUrls.anthropic,
      OPENAI_BASE_URL: echo.baseUrls.openai,
      PROXY_TIMEOUT_MS: '5000',
    },
    logger: captureLogs().logger,
  });
  for (const scope of SCOPES) {
    const { provider, key } = KEYS[scope];
    const response = await fetch(`${server.url}/api/settings/llm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'llm-settings-scope': scope },
      body: JSON.stringify({ provider, api_key: key }),
    });
    expect(response.status, await response.text()).toBe(200);
  }
});

afterAll(async () => {
  await server?.close();
  await echo?.close();
  await database?.drop();
});

/** A POST through the pass-through for the scope, with the request body given. */
async function call(scope: Scope, body: Record<string, unknown>): Promise<Answer> {
  const path = KEYS[scope].provider === 'anthropic' ? '/api/llm/anthropic/v1/messages' : '/api/llm/openai/v1/chat/completions';
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'llm-settings-scope': scope },
    body: JSON.stringify({ max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });
  return { status: response.status, headers: [...response.headers], body: await response.text() };
}

describe('a provider that echoes the key in every header and body', () => {
  describe.each(SCOPES)('%s key', (scope) => {
    const echoed = keyEchoFinder(KEYS[scope].key, KEYS[scope].prefix);

    it.each(BODIES.flatMap((body) => STATUSES.map((status) => [status, body] as const)))(
      'a %i with a %s body: no header or body holds the key, a run of it or its masked echo',
      async (status, body) => {
        echo.setMode({ status, body });
        const answer = await call(scope, { model: 'any-model', stream: body === 'event-stream' });
        expect(answer.status).toBe(status);
        expect(echo.requests.at(-1)?.apiKey).toBe(KEYS[scope].key);
        const headers = JSON.stringify(answer.headers);
        expect(echoed(headers), headers).toBeUndefined();
        expect(echoed(answer.body), answer.body).toBeUndefined();
        // The echoes were there, and were replaced (401 and 403 bodies are fixed ones).
        expect(headers).toContain('[REDACTED]');
        if (status !== 401 && status !== 403) expect(answer.body).toContain('[REDACTED]');
        if (status === 200 && body === 'event-stream') expect(answer.body.match(/^event: echo$/gm)).toHaveLength(6);
      },
    );
  });
});

describe('no key oracle: a caller guessing parts of the key', () => {
  beforeAll(() => echo.setEchoRequest(true));
  afterAll(() => echo.setEchoRequest(false));

  /** The answer to a guess, the guess itself written `<guess>` and our own request id left out. */
  async function answerTo(scope: Scope, mode: EchoMode, body: Record<string, unknown>, guess: string): Promise<Answer> {
    echo.setMode(mode);
    const answer = await call(scope, { stream: mode.body === 'event-stream', ...body });
    const hide = (text: string) => text.split(guess).join('<guess>');
    return { status: answer.status, headers: answer.headers.filter(([name]) => !['date', 'x-request-id'].includes(name)).map(([name, value]) => [name, hide(value)]), body: hide(answer.body) };
  }

  /** The same guess with one character changed: the same shape, not part of the key. */
  const wrong = (guess: string, at: number) => `${guess.slice(0, at)}${guess[at] === '0' ? '1' : '0'}${guess.slice(at + 1)}`;
  const MODES: EchoMode[] = [
    { status: 404, body: 'json' },
    { status: 200, body: 'json' },
    { status: 200, body: 'event-stream' },
    { status: 400, body: 'text' },
  ];

  describe.each(SCOPES)('%s key', (scope) => {
    const { key, prefix } = KEYS[scope];
    const secret = key.slice(prefix.length, -4);

    it.each(MODES)('a guess sent in the request and echoed verbatim comes back the same, right or wrong ($status $body)', async (mode) => {
      // Each with the character that makes it wrong: in the secret part, or in the last four of a masked echo.
      const masked = (guess: string) => [guess, guess.length - 1] as const;
      const guesses = [[secret.slice(5, 13), 3], [secret.slice(0, 20), 10], [key, key.length - 5], masked(`${prefix}****${key.slice(-4)}`), masked(`...${key.slice(-4)}`)] as const;
      for (const [guess, at] of guesses) {
        const right = await answerTo(scope, mode, { model: guess }, guess);
        // Error bodies also lose whatever is shaped like a key, the caller's text included:
        // that depends on no key. A 2xx passes the caller's text on.
        if (mode.status === 200) expect(right.body, guess).toContain('<guess>');
        expect(right, guess).toEqual(await answerTo(scope, mode, { model: wrong(guess, at) }, wrong(guess, at)));
      }
    });

    it.each(MODES)('a guess that one character extends what is public, written out by the provider, comes back the same, right or wrong ($status $body)', async (mode) => {
      // The caller knows the prefix and the last four; a model could be asked to write
      // the next character after them, spelled out in the request. Each guess with the
      // position of an unknown character in it.
      const guesses = [...(prefix.length >= 7 ? [[`${prefix.slice(-7)}${secret[0]}`, 7] as const] : []), [key.slice(-8), 3] as const];
      const spelled = (text: string) => ({ model: 'any-model', spell: [...text].join(' ') });
      for (const [guess, at] of guesses) {
        const right = await answerTo(scope, mode, spelled(guess), guess);
        if (mode.status === 200) expect(right.body, guess).toContain('<guess>');
        expect(right, guess).toEqual(await answerTo(scope, mode, spelled(wrong(guess, at)), wrong(guess, at)));
      }
    });
  });
});
