import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import { LlmSettingsService, StorageUnavailableError, type SettingsStore } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import { createKnexSettingsStore, migrateSettingsStore } from '@llm-settings/storage-knex';
import { createReadinessCheck } from '../src/readiness.js';
import { createPostgresDatabase, describeWithPostgres, type TestDatabase } from './support/databases.js';

const ANTHROPIC_KEY = 'sk-ant-api03-readiness-test-key-0000';
const ALL_OK = { ready: true, checks: { storage: 'ok', encryption_keys: 'ok', storage_writable: 'ok' } };

function serviceFor(store: SettingsStore, keys?: string[]): LlmSettingsService {
  return new LlmSettingsService({ store, cipher: createMemoryCipher(keys ? { keys } : {}), probe: createScriptedProbe() });
}

/** A store whose reads wait until `settle` is called, counting them. */
function gatedStore() {
  const store = createMemorySettingsStore();
  let release: (() => void) | undefined;
  let failure: Error | undefined;
  const get = vi.fn(async (key: string) => {
    await new Promise<void>((resolve) => (release = resolve));
    if (failure) throw failure;
    return store.get(key);
  });
  return {
    // The service reads the store directly: only the storage check's read is gated.
    dependencies: { store: { ...store, get } as SettingsStore, service: serviceFor(store) },
    reads: () => get.mock.calls.length,
    /** Lets the pending read finish, failing with `error` when given. */
    async settle(error?: Error) {
      failure = error;
      await vi.waitFor(() => expect(release).toBeDefined());
      release!();
      release = undefined;
    },
  };
}

describe('createReadinessCheck', () => {
  it('shares one check among 100 concurrent callers', async () => {
    const { dependencies, reads, settle } = gatedStore();
    const check = createReadinessCheck(dependencies);
    const reports = Array.from({ length: 100 }, () => check());
    await settle();
    expect(await Promise.all(reports)).toEqual(Array(100).fill(ALL_OK));
    expect(reads()).toBe(1);
  });

  it('reuses the result for reuseMs (1 s by default), then checks again', async () => {
    let now = 0;
    const { dependencies, reads, settle } = gatedStore();
    const check = createReadinessCheck(dependencies, { now: () => now });
    const first = check();
    await settle();
    await first;

    now = 999;
    await Promise.all(Array.from({ length: 10 }, () => check()));
    expect(reads()).toBe(1);

    now = 1_000;
    const next = check();
    await settle();
    expect(await next).toMatchObject({ ready: true });
    expect(reads()).toBe(2);
  });

  it('keeps a failed check no longer than reuseMs either', async () => {
    let now = 0;
    const { dependencies, reads, settle } = gatedStore();
    const check = createReadinessCheck(dependencies, { reuseMs: 250, now: () => now });
    const failed = check();
    await settle(new Error('SQLITE_BUSY'));
    expect(await failed).toEqual({ ready: false, checks: { ...ALL_OK.checks, storage: 'fail' } });

    now = 249;
    expect(await check()).toMatchObject({ ready: false });
    expect(reads()).toBe(1);

    now = 250;
    const recovered = check();
    await settle();
    expect(await recovered).toMatchObject({ ready: true });
    expect(reads()).toBe(2);
  });

  it('is ready with every check ok when the stored default settings decrypt', async () => {
    const store = createMemorySettingsStore();
    const service = serviceFor(store, ['key-a']);
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    expect(await createReadinessCheck({ store, service })()).toEqual(ALL_OK);
  });

  it('is not ready while the stored default settings cannot be decrypted with the configured keys', async () => {
    const store = createMemorySettingsStore();
    await serviceFor(store, ['key-a']).update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    const check = createReadinessCheck({ store, service: serviceFor(store, ['key-b']) });
    expect(await check()).toEqual({ ready: false, checks: { ...ALL_OK.checks, encryption_keys: 'fail' } });
  });

  it('is not ready while the store refuses writes', async () => {
    const memory = createMemorySettingsStore();
    const store: SettingsStore = {
      ...memory,
      set: async () => {
        throw new StorageUnavailableError();
      },
    };
    const check = createReadinessCheck({ store, service: serviceFor(store) });
    expect(await check()).toEqual({ ready: false, checks: { ...ALL_OK.checks, storage_writable: 'fail' } });
  });

  it('writes nothing and notifies no listener when the store is writable', async () => {
    const store = createMemorySettingsStore();
    const listener = vi.fn();
    store.watch(listener);
    expect(await createReadinessCheck({ store, service: serviceFor(store) })()).toEqual(ALL_OK);
    expect(listener).not.toHaveBeenCalled();
    const keys = [];
    for await (const record of store.list()) keys.push(record.key);
    expect(keys).toEqual([]);
  });
});

describe('createReadinessCheck with pending storage migrations (the start did not migrate)', () => {
  const memoryDependencies = () => {
    const store = createMemorySettingsStore();
    return { store, service: serviceFor(store) };
  };

  it('is not ready, storage_schema fail, while a migration is pending, and ready once a migration job ran it', async () => {
    let pending = ['settings/0002_create_history_table'];
    let now = 0;
    const check = createReadinessCheck({ ...memoryDependencies(), pendingMigrations: async () => pending }, { now: () => now });
    expect(await check()).toEqual({ ready: false, checks: { ...ALL_OK.checks, storage_schema: 'fail' } });

    pending = [];
    now = 1_000;
    expect(await check()).toEqual({ ready: true, checks: { ...ALL_OK.checks, storage_schema: 'ok' } });
  });

  it('asks on every check until nothing is pending, then no more', async () => {
    const pendingMigrations = vi.fn(async () => ['usage/0001_create_usage_table']);
    const check = createReadinessCheck({ ...memoryDependencies(), pendingMigrations }, { reuseMs: 0 });
    await check();
    await check();
    expect(pendingMigrations).toHaveBeenCalledTimes(2);

    pendingMigrations.mockResolvedValue([]);
    for (let i = 0; i < 3; i += 1) expect(await check()).toMatchObject({ ready: true, checks: { storage_schema: 'ok' } });
    expect(pendingMigrations).toHaveBeenCalledTimes(3);
  });

  it('is not ready when the migrations cannot be listed', async () => {
    const pendingMigrations = async () => {
      throw new StorageUnavailableError();
    };
    const check = createReadinessCheck({ ...memoryDependencies(), pendingMigrations });
    expect(await check()).toEqual({ ready: false, checks: { ...ALL_OK.checks, storage_schema: 'fail' } });
  });
});

describe('createReadinessCheck on real read-only storage', () => {
  const knexes: Knex[] = [];
  afterAll(async () => {
    await Promise.all(knexes.map((knex) => knex.destroy()));
  });
  const track = (knex: Knex) => (knexes.push(knex), knex);

  describe('SQLite', () => {
    let dir: string;
    let filename: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'llm-readiness-'));
      filename = join(dir, 'settings.db');
      const knex = knexFactory({ client: 'sqlite3', connection: { filename }, useNullAsDefault: true });
      await migrateSettingsStore(knex);
      await knex.destroy();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is ready on a writable file', async () => {
      const store = createKnexSettingsStore(track(knexFactory({ client: 'sqlite3', connection: { filename }, useNullAsDefault: true })));
      expect(await createReadinessCheck({ store, service: serviceFor(store) })()).toEqual(ALL_OK);
    });

    it('is not ready, storage_writable fail, on a file SQLite opened read-only (SQLITE_READONLY)', async () => {
      // Root ignores file permissions, so the file is opened read-only as a read-only mount would.
      const knex = knexFactory({
        client: 'sqlite3',
        connection: { filename: `file:${filename}?mode=ro`, flags: ['OPEN_URI'] },
        useNullAsDefault: true,
      });
      const store = createKnexSettingsStore(track(knex));
      expect(await createReadinessCheck({ store, service: serviceFor(store) })()).toEqual({
        ready: false,
        checks: { ...ALL_OK.checks, storage_writable: 'fail' },
      });
    });
  });

  describeWithPostgres('PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createPostgresDatabase();
      const knex = knexFactory({ client: 'pg', connection: database.url });
      await migrateSettingsStore(knex);
      await knex.destroy();
    });
    afterAll(async () => {
      await Promise.all(knexes.splice(0).map((knex) => knex.destroy()));
      await database?.drop();
    });

    it('is not ready, storage_writable fail, in read-only transactions (read_only_sql_transaction)', async () => {
      // As on a hot standby, or with default_transaction_read_only set for the role.
      const knex = knexFactory({ client: 'pg', connection: { connectionString: database.url, options: '-c default_transaction_read_only=on' } });
      const store = createKnexSettingsStore(track(knex), { listenForRemoteChanges: false });
      expect(await createReadinessCheck({ store, service: serviceFor(store) })()).toEqual({
        ready: false,
        checks: { ...ALL_OK.checks, storage_writable: 'fail' },
      });
    });
  });
});
