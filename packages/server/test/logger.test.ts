import { spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import { redactedFields } from '@llm-settings/core';
import { loadConfig } from '../src/config.js';
import { createLogDestination, createLogger, LOG_FLUSH_INTERVAL_MS, type LogDestination } from '../src/logger.js';

const KEY = 'sk-ant-api03-LOGGED-SECRET-0123456789';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('createLogger', () => {
  it('writes JSON lines with the level and message', () => {
    const { lines, logger } = capture();
    logger.info({ route: '/api/settings/llm' }, 'hello');
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 30, msg: 'hello', route: '/api/settings/llm', service: 'llm-settings' });
  });

  it('redacts secret-named fields at any depth', () => {
    const { lines, logger } = capture();
    logger.info({ body: { api_key: KEY }, headers: { authorization: `Bearer ${KEY}` }, apiKey: KEY }, 'request');
    const line = JSON.parse(lines[0]!);
    expect(line.body.api_key).toBe('[REDACTED]');
    expect(line.headers.authorization).toBe('[REDACTED]');
    expect(line.apiKey).toBe('[REDACTED]');
    expect(lines.join('\n')).not.toContain('LOGGED-SECRET');
  });

  it('redacts key-shaped text in values and in the message', () => {
    const { lines, logger } = capture();
    logger.warn({ detail: `provider said: Incorrect API key provided: ${KEY}` }, `failed for ${KEY}`);
    expect(lines.join('\n')).not.toContain('LOGGED-SECRET');
    expect(lines.join('\n')).toContain('[REDACTED]');
  });

  it('writes line separators, NEL and bidirectional controls as escapes, in fields, names and the message', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const text = 'a\u2028b\u2029c\u0085d\u202ee';
    logger.info({ [`field${text}`]: text }, `message ${text}`);
    const written = chunks.join('');
    expect(written.split('\n').filter(Boolean)).toHaveLength(1);
    expect(written).not.toMatch(/[\u2028\u2029\u0085\u202e]/);
    expect(JSON.parse(written)).toMatchObject({ [`field${text}`]: text, msg: `message ${text}` });
  });

  it('escapes DEL or a C1 control alone on an ASCII line, and leaves other non-ASCII text as it is', () => {
    const { lines, logger } = capture();
    for (const text of ['a\u007fb', 'a\u009bb', 'café 東京']) logger.info({ text }, 'line');
    expect(lines[0]).toContain('a\\u007fb');
    expect(lines[1]).toContain('a\\u009bb');
    expect(lines[2]).toContain('café 東京');
    expect(lines.map((line) => JSON.parse(line).text)).toEqual(['a\u007fb', 'a\u009bb', 'café 東京']);
  });

  it('skips its redaction pass for fields marked by redactedFields, and only for those', () => {
    const { lines, logger } = capture();
    logger.info(redactedFields({ id: 'sk-live-marked-0123456789' }), 'marked');
    logger.info({ id: 'sk-live-plain-0123456789' }, 'plain');
    expect(JSON.parse(lines[0]!).id).toBe('sk-live-marked-0123456789');
    expect(JSON.parse(lines[1]!).id).toBe('[REDACTED]');
  });
});

describe('createLogger - every way a secret reaches a line', () => {
  /** A secret of no provider's shape: only its name, or where it sits in a URL, tells it. */
  const NAMED = 'correct-horse-LOGGED-battery';

  it("redacts a child logger's bindings, at any depth, in a child's child and through setBindings", () => {
    const { lines, logger } = capture();
    logger.child({ api_key: KEY }).info('named binding');
    logger.child({ user: { key: KEY, note: `for ${KEY}` } }).info('nested binding');
    const grandchild = logger.child({ route: '/r' }).child({ token: NAMED });
    grandchild.info('grandchild');
    grandchild.setBindings({ password: NAMED, detail: KEY });
    grandchild.info('set bindings');
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).not.toContain('LOGGED-SECRET');
    expect(lines.join('\n')).not.toContain(NAMED);
    expect(JSON.parse(lines[1]!).user).toEqual({ key: '[REDACTED]', note: 'for [REDACTED]' });
    expect(JSON.parse(lines[3]!)).toMatchObject({ route: '/r', token: '[REDACTED]', password: '[REDACTED]', detail: '[REDACTED]', msg: 'set bindings' });
  });

  it('redacts the objects and errors formatted into the message (%o, %O, %j, %s), whether fields come first or not', () => {
    const { lines, logger } = capture();
    logger.info('args %o / %j / %O', { api_key: NAMED }, { k: KEY }, [{ detail: KEY }]);
    logger.warn({ route: '/r' }, 'failed: %s', new Error(`refused ${KEY}`));
    expect(lines.join('\n')).not.toContain('LOGGED-SECRET');
    expect(lines.join('\n')).not.toContain(NAMED);
    expect(JSON.parse(lines[0]!).msg).toBe('args {"api_key":"[REDACTED]"} / {"k":"[REDACTED]"} / [{"detail":"[REDACTED]"}]');
    expect(JSON.parse(lines[1]!)).toMatchObject({ route: '/r', msg: 'failed: Error: refused [REDACTED]' });
  });

  it("redacts the error's message pino writes when a line has none", () => {
    const { lines, logger } = capture();
    logger.error(new Error(`refused ${KEY}`));
    logger.error({ err: new Error(`refused ${KEY}`) });
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['refused [REDACTED]', 'refused [REDACTED]']);
  });

  it("redacts the server's own secret variables and a database URL's password in an environment, and keeps what only describes a secret", () => {
    const { lines, logger } = capture();
    const env = {
      ENCRYPTION_KEY: NAMED,
      SETTINGS_API_TOKEN: NAMED,
      SETTINGS_TOKEN_SECRET: NAMED,
      METRICS_TOKEN: NAMED,
      OPENAI_API_KEY: NAMED,
      PGPASSWORD: NAMED,
      DATABASE_URL: `postgres://app:${NAMED}@db:5432/x?sslpassword=${NAMED}&sslmode=require`,
    };
    const described = { api_key_set: true, api_key_masked: '...abcd', api_key_source: 'environment', key_check: 'run', input_tokens: 12, output_tokens: 3, has_api_key: false, token: null };
    logger.info({ env, ...described }, 'environment');
    expect(lines[0]).not.toContain(NAMED);
    const line = JSON.parse(lines[0]!);
    expect(line.env.DATABASE_URL).toBe('postgres://app:[REDACTED]@db:5432/x?sslpassword=[REDACTED]&sslmode=require');
    expect(line.env.ENCRYPTION_KEY).toBe('[REDACTED]');
    expect(line).toMatchObject(described);
  });

  it("writes a config as JSON.stringify would, through its objects' toJSON: the key set URL's query as ***", () => {
    const { lines, logger } = capture();
    const config = loadConfig(
      {
        DATABASE_URL: `postgres://app:${NAMED}@db:5432/x`,
        SETTINGS_JWKS_URL: `https://idp.example.com/jwks?appid=${NAMED}`,
        SETTINGS_JWT_ISSUER: 'i',
        SETTINGS_JWT_AUDIENCE: 'a',
        SETTINGS_API_TOKEN: 'admin-token-LOGGED-value',
      },
      '/srv/app',
    );
    logger.info({ config }, 'starting');
    expect(lines[0]).not.toContain(NAMED);
    const line = JSON.parse(lines[0]!);
    expect(line.config.identityProvider).toMatchObject({ jwksUrl: 'https://idp.example.com/jwks?appid=***', issuer: 'i' });
    expect(line.config.databaseUrl).toBe('postgres://app:[REDACTED]@db:5432/x');
    expect(line.config.apiToken).toBe('[REDACTED]');
  });
});

describe('createLogDestination', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Ends the destination, which closes its descriptor. */
  const end = (destination: LogDestination) =>
    new Promise<void>((resolve) => {
      destination.once('close', () => resolve());
      destination.end();
    });
  const flushed = (logger: Logger) => new Promise<void>((resolve) => logger.flush(() => resolve()));
  const numbered = (text: string) => text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { n: number }).n);

  it(`writes a line without being asked, when nothing else is logged (sonic-boom's flush every ${LOG_FLUSH_INTERVAL_MS} ms)`, async () => {
    const path = join(dir, 'out.log');
    const destination = createLogDestination(openSync(path, 'w'));
    createLogger({ destination }).info({ route: '/api/settings/llm' }, 'hello');
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toContain('"msg":"hello"'), { timeout: 1_000, interval: 5 });
    await end(destination);
  });

  it('gathers the lines logged while a write is in flight into the next writes, and logger.flush(cb) waits for all of them', async () => {
    const path = join(dir, 'out.log');
    const destination = createLogDestination(openSync(path, 'w'));
    let writes = 0;
    destination.on('write', () => writes++);
    const logger = createLogger({ destination });
    for (let n = 0; n < 1_000; n++) logger.info({ n }, 'line');
    await flushed(logger);
    expect(numbered(readFileSync(path, 'utf8'))).toEqual(Array.from({ length: 1_000 }, (_, n) => n));
    expect(writes).toBeLessThan(20);
    await end(destination);
  });

  it('gathers lines logged a little apart, as requests log them, into a few writes instead of one each', async () => {
    const path = join(dir, 'out.log');
    const destination = createLogDestination(openSync(path, 'w'));
    let writes = 0;
    destination.on('write', () => writes++);
    const logger = createLogger({ destination });
    for (let n = 0; n < 40; n++) {
      logger.info({ n, route: '/api/llm/openai/v1/chat/completions' }, 'http request');
      await sleep(1);
    }
    await flushed(logger);
    expect(numbered(readFileSync(path, 'utf8'))).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(writes).toBeLessThan(10);
    await end(destination);
  });

  it('keeps the event loop running while a full non-blocking pipe waits for its reader, and loses nothing', async () => {
    const fifo = join(dir, 'pipe');
    const out = join(dir, 'out.log');
    await run('mkfifo', [fifo]);
    // The pipe holds 64 KiB; about 2 MiB are logged before anyone reads it.
    const destination = createLogDestination(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
    const logger = createLogger({ destination });
    const padding = 'x'.repeat(2_000);
    // A synchronous writer would block in this loop, waiting for a reader that only starts below.
    for (let n = 0; n < 1_000; n++) logger.info({ n, padding }, 'line');
    const started = performance.now();
    for (let tick = 0; tick < 10; tick++) await sleep(10);
    expect(performance.now() - started).toBeLessThan(1_000);

    const outFd = openSync(out, 'w');
    const reader = spawn('cat', [fifo], { stdio: ['ignore', outFd, 'inherit'] });
    closeSync(outFd);
    const readerDone = new Promise((resolve) => reader.once('exit', resolve));
    await flushed(logger);
    await end(destination);
    await readerDone;
    expect(numbered(readFileSync(out, 'utf8'))).toEqual(Array.from({ length: 1_000 }, (_, n) => n));
  });
});

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    spawn(command, args).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}
