import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, ErrorCodes } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { ensurePostgresRunning, POSTGRES_URL } from './support/postgres.js';
import { createTempDir, type TempDir } from './support/sqlite.js';

let dir: TempDir;
const opened: Knex[] = [];

function open(url: string): Knex {
  const knex = createKnexFromUrl(url);
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

  it('turns on WAL journaling and a busy timeout on the file', async () => {
    const knex = open(`sqlite:${join(dir.path, 'pragmas.db')}`);
    expect(await knex.raw('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const [{ timeout }] = await knex.raw('PRAGMA busy_timeout');
    expect(timeout).toBeGreaterThan(0);
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

describe('createKnexFromUrl with PostgreSQL', () => {
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

describe('createKnexSettingsStore', () => {
  it('refuses a knex client other than sqlite3 or pg with ConfigError', () => {
    const knex = knexFactory({ client: 'mysql2' });
    opened.push(knex);
    expect(() => createKnexSettingsStore(knex)).toThrow(ConfigError);
  });
});
