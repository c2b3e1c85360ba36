import { METHODS } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, describeEachDatabase, type TestDatabase } from '../../support/databases.js';
import { answerIssues } from './answers.js';
import { Figures } from './figures.js';
import { send, sendRaw, type RequestSpec } from './http-client.js';
import { killLeftoverServers, logLines, startServer, type ServerProcess } from './server-process.js';
import { readStoredRows } from './stored.js';

export interface FuzzSuiteOptions {
  /** Random requests per database. */
  requests: number;
  /** `__proto__` / `constructor` payloads per database. */
  pollutions: number;
}

/** One seed per run, printed with the figures and by fast-check on failure; FUZZ_SEED replays a run. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** A request gets this long before it counts as hung. */
const HANG_MS = 5_000;
const PATHS = ['/api/settings/llm', '/api/settings/llm/test', '/api/settings/llm/models', '/api/openapi.json', '/healthz', '/readyz', '/api/settings', '/api', '/'];
const printable = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const percentEncodedBytes = fc.uint8Array({ maxLength: 24 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));

const methodArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('HEAD', 'PATCH', 'OPTIONS', 'TRACE') },
  // Every other method Node's parser knows (CONNECT switches protocols and is left out).
  { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) },
);

const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PATHS) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...PATHS), fc.constantFrom('/', '//', '/..', '/%2e%2e/', '?x=1', '?__proto__[provider]=openai', '?constructor=1', ';a=b', '%00', '/test/x', '.json', '%2F', '?api_key=sk-x'))
      .map(([path, suffix]) => path + suffix),
  },
  { weight: 1, arbitrary: fc.constantFrom(...PATHS).chain((path) => fc.mixedCase(fc.constant(path))) },
  { weight: 1, arbitrary: fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/api/settings/', '/', '/api/'), percentEncodedBytes).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 6000 }).map((n) => `/api/settings/${'a'.repeat(n)}`) },
);

/** Present one time in `outOf`: rare headers must not stop most bodies before the validators. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, outOf = 6) =>
  fc.oneof({ weight: outOf - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const contentTypeArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=latin1',
      'application/json;charset="utf-16"',
      'application/problem+json',
      'application/vnd.api+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/octet-stream',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: printable(40) },
);

const base64url = (text: string) => Buffer.from(text).toString('base64url');
const base64urlArb = (max: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: max });
/**
 * Token-shaped credentials, for the scoped-token check: three base64url parts, headers
 * naming any algorithm (`none`, HMAC, asymmetric, unknown) and key id over any claims,
 * empty signatures.
 */
const tokenArb = fc.oneof(
  fc.tuple(base64urlArb(60), base64urlArb(300), base64urlArb(90)).map((parts) => parts.join('.')),
  fc
    .tuple(
      fc.record({ alg: fc.constantFrom('none', 'None', 'HS256', 'HS512', 'RS256', 'ES256', 'EdDSA', '', 'x'), kid: fc.option(printable(30), { nil: undefined }) }),
      fc.record({ llm_settings_scope: fc.oneof(fc.constantFrom('default', 'tenant-a', '../x', ''), printable(20)), llm_settings_can: fc.jsonValue({ maxDepth: 1 }), exp: fc.integer(), iat: fc.integer() }, { requiredKeys: [] }),
      base64urlArb(90),
    )
    .map(([header, claims, signature]) => `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${signature}`),
  fc.constantFrom('a.b.c', '..', '.', 'e30.e30.', 'e30.e30', 'bnVsbA.bnVsbA.bnVsbA'),
);
/**
 * Tokens either side of the 8 KiB limit, in one header only: two of them would pass Node's
 * 16 KiB limit on all headers, which Node's parser refuses before the app (431, below).
 */
const longTokenArb = fc.integer({ min: 8_180, max: 8_210 }).map((length) => `${base64url('{"alg":"RS256"}')}.${'a'.repeat(length)}`);

const headersArb = fc
  .record({
    // Usually present: bodies without one stop at 415.
    'content-type': fc.oneof({ weight: 11, arbitrary: contentTypeArb }, { weight: 1, arbitrary: fc.constant(undefined) }),
    'if-match': sometimes(fc.oneof(fc.constantFrom('*', '"0"', 'W/"1-x"', '"1-x", "2-y"', ',', '""', '"open', '*, "1-x"'), printable(40))),
    authorization: sometimes(fc.oneof(printable(40), printable(40).map((t) => `Bearer ${t}`), fc.oneof(tokenArb, longTokenArb).map((t) => `Bearer ${t}`))),
    'x-api-key': sometimes(tokenArb, 10),
    'x-request-id': sometimes(printable(140)),
    'content-encoding': sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'x-unknown', 'gzip, gzip'), 10),
    accept: sometimes(fc.constantFrom('application/json', 'text/html', '*/*', 'application/problem+json', '')),
    'accept-encoding': sometimes(fc.constantFrom('gzip', 'br', 'identity;q=0', '*')),
    expect: sometimes(fc.constantFrom('100-continue', 'something-else'), 10),
    '__proto__': sometimes(printable(20), 10),
    constructor: sometimes(printable(20), 10),
    'x-forwarded-for': sometimes(printable(30), 10),
  })
  .map((headers) => Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>);

const keyArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'), minLength: 16, maxLength: 80 }).map((k) => `sk-${k}`) },
  { weight: 1, arbitrary: fc.constantFrom('...abcd', '', ' ', 'sk-•••abcd', 'sk-with space', 'x'.repeat(513)) },
  { weight: 1, arbitrary: printable(80) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const settingsArb = fc.record(
  {
    provider: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('anthropic', 'openai') }, { weight: 1, arbitrary: fc.constantFrom('gemini', 'OPENAI', '', null, 1) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
    api_key: keyArb,
    model: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('gpt-4o-mini', 'claude-opus-4-1-20250805', 'gpt-4.1', 'no-such-model') },
      { weight: 1, arbitrary: fc.constantFrom('', 'has space', 'm'.repeat(257), null) },
      { weight: 1, arbitrary: printable(300) },
    ),
  },
  { requiredKeys: [] },
);
const jsonish = (value: unknown) => JSON.stringify(value) ?? 'null';

const bodyArb: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: settingsArb.map(jsonish) },
  {
    weight: 2,
    arbitrary: fc.tuple(settingsArb, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })).map(([s, extra]) => jsonish({ ...extra, ...s })),
  },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: settingsArb.map((s) => `\ufeff${jsonish(s)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)) },
  { weight: 1, arbitrary: fc.integer({ min: 16_300, max: 16_500 }).map((n) => jsonish({ provider: 'openai', api_key: 'sk-xxxxxxxxxxxxxxxxxxxx', model: 'm'.repeat(n) })) },
  { weight: 1, arbitrary: settingsArb.map((s) => jsonish(s).slice(0, -1)) },
);

/** The API's own routes with their methods, so that most bodies reach the parsers and validators. */
const routeArb = fc.tuple(
  fc.constantFrom(['PUT', '/api/settings/llm'], ['PUT', '/api/settings/llm'], ['POST', '/api/settings/llm/test'], ['POST', '/api/settings/llm/test'], ['GET', '/api/settings/llm'], ['DELETE', '/api/settings/llm'], ['GET', '/api/settings/llm/models'], ['POST', '/api/settings/llm/models']),
  fc.constantFrom('', '', '', '?x=1', '/', '?api_key=sk-x'),
);

const requestArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ route: routeArb, headers: headersArb, body: bodyArb, chunked: fc.boolean() }).map(({ route: [[method, path], suffix], ...rest }) => ({
      method: method!,
      path: `${path}${suffix}`,
      ...rest,
    })),
  },
  { weight: 1, arbitrary: fc.record({ method: methodArb, path: pathArb, headers: headersArb, body: bodyArb, chunked: fc.boolean() }) },
);

/** A settings body with a `__proto__`, `constructor` or `prototype` member spliced into the JSON text. */
const pollutionArb = fc
  .record({
    // The last one is `__proto__` written with a JSON escape, which text filters miss.
    member: fc.constantFrom('__proto__', 'constructor', 'prototype', '\\u005f_proto__'),
    payload: fc.constantFrom(
      '{"provider":"openai","api_key":"sk-polluted-polluted-0000","polluted":true}',
      '{"prototype":{"provider":"openai","api_key":"sk-polluted-polluted-0000","api_key_set":true}}',
      '{"api_key_set":true,"isAdmin":true}',
      'null',
      '"x"',
    ),
    first: fc.boolean(),
    provider: fc.constantFrom('anthropic', 'openai'),
    route: fc.constantFrom('/api/settings/llm', '/api/settings/llm/test'),
  })
  .map(({ member, payload, first, provider, route }) => {
    const own = `"provider":"${provider}","api_key":"sk-fuzz-pollution-1234567890"`;
    const injected = `"${member}":${payload}`;
    return { route, body: first ? `{${injected},${own}}` : `{${own},${injected}}` };
  });

/**
 * Registers, for SQLite and PostgreSQL, property-based fuzzing of a running server:
 * random methods, paths, headers, content types and bodies must each get a well-formed
 * answer (a problem, a view, a test result, health or the contract), never a 5xx and
 * never a hang; prototype-pollution payloads are refused and change nothing.
 */
export function describeBadInput(options: FuzzSuiteOptions): void {
  describeEachDatabase('bad input on %s', (kind) => {
    const figures = new Figures(`bad input on ${kind}`);
    figures.set('seed', FUZZ_SEED);
    let database: TestDatabase;
    let fake: FakeProvider;
    let server: ServerProcess;

    beforeAll(async () => {
      database = await createDatabase(kind);
      fake = await startFakeProvider();
      server = await startServer({
        DATABASE_URL: database.url,
        ENCRYPTION_KEY: generateFernetKey(),
        ANTHROPIC_BASE_URL: fake.baseUrls.anthropic,
        OPENAI_BASE_URL: fake.baseUrls.openai,
        PROBE_TIMEOUT_MS: '1000',
        // Scoped tokens on: a presented token is verified (and refused), an absent one is the loopback admin.
        SETTINGS_TOKEN_SECRET: 'fuzz-token-secret-0123456789-abcdefghij',
      });
    });
    afterAll(async () => {
      await killLeftoverServers();
      await fake?.close();
      await database?.drop();
      figures.print();
    });

    const sendCounted = async (spec: RequestSpec) => {
      figures.requests++;
      return send(server.url, { ...spec, timeoutMs: HANG_MS });
    };

    const statuses = new Map<number, number>();

    it(`${options.requests} random requests: each answer is well formed, none is a 5xx, none hangs (seed ${FUZZ_SEED})`, async () => {
      await fc.assert(
        fc.asyncProperty(requestArb, async (request) => {
          figures.inputs++;
          const answer = await sendCounted(request);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          expect(answerIssues(answer), `${request.method} ${request.path} → ${answer.status} ${answer.text.slice(0, 200)}`).toEqual([]);
        }),
        { seed: FUZZ_SEED, numRuns: options.requests, endOnFailure: true },
      );
      figures.set('statuses', [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}x${count}`).join(' '));
      expect(server.alive()).toBe(true);
      expect(logLines(await server.loggedSoFar()).filter((line) => (line.level as number) >= 50)).toEqual([]);
      expect(server.stderr()).toBe('');
    });

    it(`${options.pollutions} __proto__ / constructor payloads are refused and change nothing (seed ${FUZZ_SEED})`, async () => {
      const saved = await sendCounted({ method: 'PUT', path: '/api/settings/llm', body: { provider: 'openai', api_key: 'sk-before-pollution-000000', model: 'gpt-4.1' } });
      expect(saved.status).toBe(200);
      await fc.assert(
        fc.asyncProperty(pollutionArb, async ({ route, body }) => {
          figures.inputs++;
          const rowsBefore = await readStoredRows(database);
          const viewBefore = await sendCounted({ method: 'GET', path: '/api/settings/llm' });
          const answer = await sendCounted({ method: route.endsWith('/test') ? 'POST' : 'PUT', path: route, headers: { 'content-type': 'application/json' }, body });
          expect(answer.status, `${route} ${body} → ${answer.text}`).toBe(400);
          expect(answer.json().code).toBe('VALIDATION.INVALID_INPUT');
          expect(await readStoredRows(database)).toEqual(rowsBefore);
          // A polluted Object.prototype would lend `provider` to an empty body and change views.
          const canary = await sendCounted({ method: 'PUT', path: '/api/settings/llm', body: {} });
          expect(canary.status).toBe(400);
          expect(canary.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'provider' })]));
          const viewAfter = await sendCounted({ method: 'GET', path: '/api/settings/llm' });
          expect(viewAfter.text).toBe(viewBefore.text);
          expect(viewAfter.headers.etag).toBe(viewBefore.headers.etag);
        }),
        { seed: FUZZ_SEED, numRuns: options.pollutions, endOnFailure: true },
      );
      expect(server.alive()).toBe(true);
    });

    it("requests Node's parser refuses get a well-formed problem too, and the token they carried reaches neither the answer nor the log", async () => {
      const token = 'parser-refused-token-0123456789';
      const head = `Host: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n`;
      const refused: Array<[string, number]> = [
        [`GET /api/settings/llm HTTP/1.1\r\n${head}Bad Header: x\r\n\r\n`, 400],
        [`GET /api/settings/llm HTTP/1.1\r\n${head}X-Padding: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
        [`PUT /api/settings/llm HTTP/1.1\r\n${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`, 400],
        [`GET /api/settings/llm\u0000 HTTP/1.1\r\n${head}\r\n`, 400],
      ];
      for (const [raw, status] of refused) {
        figures.requests++;
        const answer = await sendRaw(server.url, raw, HANG_MS);
        expect(answer.status, raw.slice(0, 60)).toBe(status);
        expect(answerIssues(answer), raw.slice(0, 60)).toEqual([]);
        expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(`${answer.rawHeaders}\n${answer.text}`).not.toContain(token);
      }
      const logged = await server.loggedSoFar();
      expect(logged).not.toContain(token);
      expect(logLines(logged).filter((line) => line.msg === 'http request refused by the parser')).toHaveLength(refused.length);
    });

    it('line separators and bidirectional controls in member names, the model and the request id reach no answer and no log line raw', async () => {
      const unsafe = ['\u2028', '\u2029', '\u0085', '\u202e', '\u2066'];
      for (const c of unsafe) {
        const member = `evil${c}member`;
        const bodies = [
          `{"provider":"openai","api_key":"sk-unsafe-characters-0000","${member}":1}`,
          `{"provider":"openai","api_key":"sk-unsafe-characters-0000","model":"gpt${c}4o"}`,
        ];
        for (const body of bodies) {
          // Node sends only Latin-1 header values: of these, NEL alone can go in the request id.
          const id: Record<string, string> = c <= '\u00ff' ? { 'x-request-id': `id${c}` } : {};
          const answer = await sendCounted({ method: 'PUT', path: '/api/settings/llm', headers: { 'content-type': 'application/json', ...id }, body });
          expect(answer.status).toBe(400);
          expect(answer.text).not.toContain('evil');
          expect(answer.text).not.toContain(c);
        }
      }
      const stdout = await server.loggedSoFar();
      for (const c of unsafe) expect(stdout, `U+${c.charCodeAt(0).toString(16)}`).not.toContain(c);
      for (const line of stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    });
  });
}
