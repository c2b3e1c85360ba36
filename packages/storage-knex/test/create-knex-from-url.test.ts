import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ConfigError, ErrorCodes, type LogFields, type Logger } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { connectionFactsOf } from '../src/knex-connection-facts.js';
import { describeWithPostgres, ensurePostgresRunning, POSTGRES_URL } from './support/postgres.js';
import { createTempDir, type TempDir } from './support/sqlite.js';

let dir: TempDir;
const opened: Knex[] = [];

function open(url: string, logger?: Logger): Knex {
  const knex = createKnexFromUrl(url, { logger });
  opened.push(knex);
  return knex;
}

beforeAll(() => {
  dir = createTempDir();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((knex) => knex.destroy()));
});

afterAll(() => dir?.remove());

async function roundTrip(knex: Knex): Promise<void> {
  await migrateSettingsStore(knex);
  const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
  await store.set('k', 'v');
  expect((await store.get('k'))?.value).toBe('v');
  await store.close();
}

describe('createKnexFromUrl with SQLite', () => {
  it('sqlite:<relative path> resolves against the working directory and creates missing folders', async () => {
    const target = join(dir.path, 'relative', 'nested', 'settings.db');
    await roundTrip(open(`sqlite:${relative(process.cwd(), target)}`));
    expect(existsSync(target)).toBe(true);
  });

  it('sqlite:<absolute path> and sqlite:///<absolute path> open that file', async () => {
    const target = join(dir.path, 'absolute', 'settings.db');
    await roundTrip(open(`sqlite:${target}`));
    const again = open(`sqlite://${target}`);
    expect(await again('settings').pluck('key')).toEqual(['k']);
  });

  it('creates missing folders with mode 0700 and the database, -wal and -shm files with mode 0600', async () => {
    const outer = join(dir.path, 'private');
    const target = join(outer, 'nested', 'settings.db');
    await roundTrip(open(`sqlite:${target}`));
    const modes = [outer, dirname(target), target, `${target}-wal`, `${target}-shm`].map((path) => (statSync(path).mode & 0o777).toString(8));
    expect(modes).toEqual(['700', '700', '600', '600', '600']);
  });

  it('leaves the mode of an existing database file as its owner set it', async () => {
    const target = join(dir.path, 'shared.db');
    writeFileSync(target, '');
    chmodSync(target, 0o640);
    await roundTrip(open(`sqlite:${target}`));
    expect(statSync(target).mode & 0o777).toBe(0o640);
  });

  it('turns on WAL journaling and a busy timeout on the file', async () => {
    const knex = open(`sqlite:${join(dir.path, 'pragmas.db')}`);
    expect(await knex.raw('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const [{ timeout }] = await knex.raw('PRAGMA busy_timeout');
    expect(timeout).toBeGreaterThan(0);
  });

  it("can have its pool replace the connection at its next use, through knex's pool.validate hook", async () => {
    const knex = open(`sqlite:${join(dir.path, 'replaced.db')}`);
    // A temp table lives as long as its connection.
    await knex.raw('CREATE TEMP TABLE connection_marker (x INTEGER)');
    const markers = async () => (await knex.raw("SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'connection_marker'"))[0].n;
    expect(await markers()).toBe(1);

    const { replaceConnections } = connectionFactsOf(knex);
    expect(replaceConnections, 'createKnexFromUrl hands the pool hook along').toBeTypeOf('function');
    replaceConnections?.();
    expect(await markers(), "knex's pool.validate hook (knex 3.2+) did not replace the connection").toBe(0);
    expect(await knex.raw('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
  });

  it('sqlite::memory: gives a private in-memory database that lives as long as the knex instance', async () => {
    const first = open('sqlite::memory:');
    await roundTrip(first);
    const second = open('sqlite::memory:');
    expect(await second.schema.hasTable('settings')).toBe(false);
    expect(await first('settings').pluck('value')).toEqual(['v']);
  });

  it('throws ConfigError when the folder of the file cannot be created', () => {
    const blocker = join(dir.path, 'a-file');
    writeFileSync(blocker, '');
    expect(() => createKnexFromUrl(`sqlite:${join(blocker, 'sub', 'settings.db')}`)).toThrow(ConfigError);
  });
});

describeWithPostgres('createKnexFromUrl with PostgreSQL', () => {
  beforeAll(async () => {
    await ensurePostgresRunning();
  });

  it.each(['postgres', 'postgresql'])('accepts %s:// URLs', async (scheme) => {
    const knex = open(POSTGRES_URL.replace(/^postgres/, scheme));
    expect((await knex.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});

describe('createKnexFromUrl with an unsupported URL', () => {
  it.each([
    ['a MySQL URL', 'mysql://admin:pw-Secret-42@db.internal/settings'],
    ['an HTTP URL', 'http://admin:pw-Secret-42@db.internal/settings'],
    ['a malformed PostgreSQL URL', 'postgres://admin:pw-Secret-42@[db.internal/settings'],
    ['a bare word', 'pw-Secret-42'],
    ['sqlite: without a path', 'sqlite:'],
    ['an empty string', ''],
  ])('%s throws ConfigError without repeating the URL', (_label, url) => {
    let caught: unknown;
    try {
      createKnexFromUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe(ErrorCodes.CONFIG_INVALID);
    expect((caught as ConfigError).message).not.toMatch(/pw-Secret-42|admin|db\.internal/);
    expect((caught as ConfigError).cause).toBeUndefined();
  });
});

describe('createKnexFromUrl logger', () => {
  interface Line {
    level: string;
    fields: LogFields;
    message: string;
  }

  function recordingLogger(): Logger & { lines: Line[] } {
    const lines: Line[] = [];
    const record = (level: string) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
    return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  }

  const PASSWORD = 'p@ss-S3cret-42';
  const REFUSED_URL = `postgres://settings_user:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/test`;

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("routes knex's warnings to the logger as one line without a stack, and prints nothing itself", async () => {
    const consoleLog = vi.spyOn(console, 'log');
    const logger = recordingLogger();
    const knex = open(REFUSED_URL, logger);

    await expect(knex.raw('select 1')).rejects.toThrow();

    expect(logger.lines).toContainEqual({ level: 'warn', fields: { component: 'knex' }, message: expect.stringContaining('ECONNREFUSED') });
    for (const line of logger.lines) {
      expect(line.message).not.toContain('\n');
      expect(line.message).not.toMatch(/\bat .+:\d+:\d+/);
    }
    expect(consoleLog).not.toHaveBeenCalled();
  });

  it('by default logs nothing, not even to the console', async () => {
    const consoleLog = vi.spyOn(console, 'log');
    const knex = open(REFUSED_URL);
    await expect(knex.raw('select 1')).rejects.toThrow();
    expect(consoleLog).not.toHaveBeenCalled();
  });

  it('redacts the URL and its password, encoded or not, from whatever knex logs', () => {
    const logger = recordingLogger();
    const knex = open(REFUSED_URL, logger);
    // Stands for any knex message that would quote the connection settings.
    knex.client.logger.error(`cannot use ${REFUSED_URL}`);
    knex.client.logger.warn(`password ${PASSWORD} rejected`);
    knex.client.logger.debug(`password ${encodeURIComponent(PASSWORD)} rejected`);

    expect(logger.lines.map((line) => line.level)).toEqual(['error', 'warn', 'debug']);
    const logged = logger.lines.map((line) => line.message).join('\n');
    expect(logged).toContain('[REDACTED]');
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain(encodeURIComponent(PASSWORD));
    expect(logged).not.toContain('127.0.0.1:1');
  });

  it('logs the SQL of a debugged query without its bound values', async () => {
    const logger = recordingLogger();
    const knex = open('sqlite::memory:', logger);
    await knex.raw('select ? as value', ['bound-secret-value']).debug(true);
    expect(logger.lines).toEqual([{ level: 'debug', fields: { component: 'knex' }, message: 'select ? as value' }]);
  });
});

describe('createKnexSettingsStore', () => {
  it('refuses a knex client other than sqlite3 or pg with ConfigError', () => {
    const knex = knexFactory({ client: 'mysql2' });
    opened.push(knex);
    expect(() => createKnexSettingsStore(knex)).toThrow(ConfigError);
  });
});
