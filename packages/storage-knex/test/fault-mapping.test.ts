import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ErrorCodes, LlmSettingsError, StorageUnavailableError } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTestSchema, describeWithPostgres, POSTGRES_URL, type TestSchema } from './support/postgres.js';
import { startRefusingPostgres } from './support/refusing-postgres.js';
import { createTempDir, type TempDir } from './support/sqlite.js';

const PASSWORD = 'Sup3r-S3cret-Passw0rd';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(knex: Knex): Knex {
  cleanups.push(() => knex.destroy());
  return knex;
}

async function failureOf(operation: () => Promise<unknown>): Promise<LlmSettingsError> {
  const error = await operation().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the operation to fail').toBeInstanceOf(LlmSettingsError);
  return error as LlmSettingsError;
}

function expectUnavailable(error: LlmSettingsError, mustNotMention: string[] = []): void {
  expect(error).toBeInstanceOf(StorageUnavailableError);
  expect(error.code).toBe(ErrorCodes.STORAGE_UNAVAILABLE);
  expect(error.cause).toBeDefined();
  for (const text of mustNotMention) expect(error.message).not.toContain(text);
}

/** Makes a file unwritable even for root and for descriptors already open (`chattr +i`, ext4). */
function setImmutable(path: string, immutable: boolean): void {
  execFileSync('chattr', [immutable ? '+i' : '-i', path], { stdio: 'ignore' });
}

/** True when this machine can make a file immutable (root on ext4 or similar). */
function canMakeImmutable(): boolean {
  const probe = createTempDir();
  try {
    writeFileSync(probe.file('probe'), '');
    setImmutable(probe.file('probe'), true);
    setImmutable(probe.file('probe'), false);
    return true;
  } catch {
    return false;
  } finally {
    probe.remove();
  }
}

/** The test server, with a password added and a database that does not exist. */
/** The test server's URL with some of its parts replaced (a password it does not check, another database or user). */
function postgresUrlWith(parts: Partial<Pick<URL, 'username' | 'password' | 'pathname' | 'search'>>): string {
  return Object.assign(new URL(POSTGRES_URL), parts).toString();
}

describeWithPostgres('PostgreSQL faults', () => {
  let schema: TestSchema;

  beforeAll(async () => {
    schema = await createTestSchema();
  });

  afterAll(async () => {
    await schema?.drop();
  });

  it('connection refused: StorageUnavailableError naming neither password nor host', async () => {
    const knex = track(createKnexFromUrl(`postgres://settings_user:${PASSWORD}@127.0.0.1:1/test`));
    const store = createKnexSettingsStore(knex, { notifyChannel: schema.name });
    // The remote feed retries in the background and must not crash the process meanwhile.
    store.watch(() => undefined);
    const secrets = [PASSWORD, 'settings_user', '127.0.0.1'];

    expectUnavailable(await failureOf(() => store.get('k')), secrets);
    expectUnavailable(await failureOf(() => store.set('k', 'v')), secrets);
    expectUnavailable(await failureOf(() => store.list()[Symbol.asyncIterator]().next()), secrets);
    expectUnavailable(await failureOf(() => migrateSettingsStore(knex)), secrets);
    await store.close();
  });

  it('a database that does not exist is StorageUnavailableError saying so, without naming it or the password', async () => {
    const knex = track(createKnexFromUrl(postgresUrlWith({ password: PASSWORD, pathname: '/llm_settings_no_such_database' })));
    const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
    const error = await failureOf(() => store.get('k'));
    expectUnavailable(error, [PASSWORD, 'llm_settings_no_such_database']);
    expect(error.cause).toMatchObject({ code: '3D000' });
    expect(error.message).toBe('PostgreSQL refused the login: the database named in the database URL does not exist. Create it, or correct the URL.');
  });

  it('a database that takes no connections (ALLOW_CONNECTIONS false) is StorageUnavailableError on reads and writes', async () => {
    const name = `llm_settings_closed_${process.pid}`;
    const admin = track(createKnexFromUrl(POSTGRES_URL));
    await admin.raw(`CREATE DATABASE ${name}`);
    try {
      await admin.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      const store = createKnexSettingsStore(track(createKnexFromUrl(postgresUrlWith({ password: PASSWORD, pathname: `/${name}` }))), { listenForRemoteChanges: false });
      for (const operation of [() => store.get('k'), () => store.set('k', 'v')]) {
        const error = await failureOf(operation);
        expectUnavailable(error, [PASSWORD, name]);
        expect(error.cause).toMatchObject({ code: '55000' });
      }
      await store.close();
    } finally {
      await admin.raw(`DROP DATABASE ${name}`);
    }
  });

  it('a user (role) that does not exist is StorageUnavailableError saying so, on reads, writes and migrations', async () => {
    const knex = track(createKnexFromUrl(postgresUrlWith({ username: 'llm_settings_no_such_role', password: PASSWORD })));
    const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
    for (const operation of [() => store.get('k'), () => store.set('k', 'v'), () => migrateSettingsStore(knex)]) {
      const error = await failureOf(operation);
      expectUnavailable(error, [PASSWORD, 'llm_settings_no_such_role']);
      expect(error.cause).toMatchObject({ code: '28000' });
      expect(error.message).toBe('PostgreSQL refused the login: the user in the database URL does not exist. Create the role, or correct the URL.');
    }
  });

  it('a URL asking for TLS (sslmode=require) of a server without TLS is StorageUnavailableError saying so', async () => {
    const knex = track(createKnexFromUrl(postgresUrlWith({ password: PASSWORD, search: '?sslmode=verify-full' })));
    const error = await failureOf(() => createKnexSettingsStore(knex, { listenForRemoteChanges: false }).get('k'));
    expectUnavailable(error, [PASSWORD]);
    expect(error.message).toMatch(/^PostgreSQL does not accept TLS connections, which the database URL asks for \(sslmode\)/);
  });

  describe('refusals the shared server cannot give (trust authentication, no TLS), from a server speaking the PostgreSQL protocol', () => {
    const refusals = [
      {
        name: 'a wrong password (28P01)',
        options: { askPassword: true, code: '28P01', message: 'password authentication failed for user "settings_user"' },
        expected: 'PostgreSQL refused the login: password authentication failed for the user in the database URL. Correct the user or password.',
      },
      {
        name: 'a pg_hba.conf that requires TLS (28000, "no encryption")',
        options: {
          askPassword: false,
          code: '28000',
          message: 'no pg_hba.conf entry for host "127.0.0.1", user "settings_user", database "test", no encryption',
        },
        expected: 'PostgreSQL refused the login: the server requires TLS. Add sslmode=verify-full (or sslmode=require) to the database URL.',
      },
      {
        name: 'a pg_hba.conf without an entry for this client (28000)',
        options: {
          askPassword: false,
          code: '28000',
          message: 'no pg_hba.conf entry for host "127.0.0.1", user "settings_user", database "test", SSL encryption',
        },
        expected: 'PostgreSQL refused the login: no pg_hba.conf entry allows this user, database and client address.',
      },
    ];
    for (const { name, options, expected } of refusals) {
      it(`${name}: StorageUnavailableError saying so, naming neither user nor password`, async () => {
        const server = await startRefusingPostgres(options);
        cleanups.push(() => server.close());
        const knex = track(createKnexFromUrl(`postgres://settings_user:${PASSWORD}@127.0.0.1:${server.port}/test`));
        const error = await failureOf(() => createKnexSettingsStore(knex, { listenForRemoteChanges: false }).get('k'));
        expectUnavailable(error, [PASSWORD, 'settings_user']);
        expect(error.cause).toMatchObject({ code: options.code });
        expect(error.message).toBe(expected);
        // The driver went through the real login: it sent the password when asked.
        expect(server.passwords).toEqual(options.askPassword ? [PASSWORD] : []);
      });
    }
  });

  it('an exhausted pool gives StorageUnavailableError after the acquire timeout, and recovers once a connection is free', async () => {
    const knex = track(createKnexFromUrl(schema.url(), { pool: { max: 1 }, acquireTimeoutMs: 300 }));
    await migrateSettingsStore(knex);
    const store = createKnexSettingsStore(knex, { notifyChannel: schema.name });
    const holder = await knex.transaction();

    const started = performance.now();
    expectUnavailable(await failureOf(() => store.get('k')));
    // The bound: a GET answers 503 within 2 s.
    expect(performance.now() - started).toBeLessThan(2_000);

    await holder.rollback();
    expect(await store.get('k')).toBeNull();
  });
});

describe('SQLite faults', () => {
  let dir: TempDir;
  let filename: string;

  beforeAll(async () => {
    dir = createTempDir();
    filename = dir.file('settings.db');
    const knex = createKnexFromUrl(`sqlite:${filename}`);
    await migrateSettingsStore(knex);
    await createKnexSettingsStore(knex).set('existing', 'value');
    await knex.destroy();
  });

  afterAll(() => dir?.remove());

  it('a read-only database (SQLITE_READONLY) is StorageUnavailableError on write while reads still work', async () => {
    // Root ignores file permissions, so the database is opened read-only instead: SQLite then
    // refuses writes with SQLITE_READONLY, as it does for a read-only file or mount.
    const knex = track(
      knexFactory({ client: 'sqlite3', connection: { filename: `file:${filename}?mode=ro`, flags: ['OPEN_URI'] }, useNullAsDefault: true }),
    );
    const store = createKnexSettingsStore(knex);
    const error = await failureOf(() => store.set('existing', 'changed'));
    expectUnavailable(error);
    expect(error.cause).toMatchObject({ code: 'SQLITE_READONLY' });
    expect((await store.get('existing'))?.value).toBe('value');
  });

  it.skipIf(!canMakeImmutable())(
    'a connection SQLite opened read-only (file immutable) is replaced once the file is writable again: the first write after succeeds (needs root)',
    async () => {
      const immutable = dir.file('immutable.db');
      const setup = createKnexFromUrl(`sqlite:${immutable}`);
      await migrateSettingsStore(setup);
      await createKnexSettingsStore(setup, { listenForRemoteChanges: false }).set('k', 'before');
      await setup.destroy();

      setImmutable(immutable, true);
      let store: ReturnType<typeof createKnexSettingsStore>;
      try {
        // The pool's connection opens now, and SQLite opens the file read-only.
        store = createKnexSettingsStore(track(createKnexFromUrl(`sqlite:${immutable}`)), { listenForRemoteChanges: false });
        expect((await store.get('k'))?.value).toBe('before');
        const error = await failureOf(() => store.set('k', 'during'));
        expectUnavailable(error);
        expect(error.cause).toMatchObject({ code: 'SQLITE_READONLY' });
      } finally {
        setImmutable(immutable, false);
      }
      expect(await store.set('k', 'after')).toMatchObject({ value: 'after', version: 2 });
    },
  );

  it('a full database (SQLITE_FULL) is StorageUnavailableError, and writes work again once there is room', async () => {
    const knex = track(createKnexFromUrl(`sqlite:${filename}`));
    const store = createKnexSettingsStore(knex);
    // A page limit at the current size stands in for a full disk; the pool's single
    // connection keeps the pragma for the store's statements.
    const [{ page_count: pages }] = await knex.raw('PRAGMA page_count');
    await knex.raw(`PRAGMA max_page_count = ${pages}`);

    const error = await failureOf(() => store.set('big', 'x'.repeat(64 * 1024)));
    expectUnavailable(error);
    expect(error.cause).toMatchObject({ code: 'SQLITE_FULL' });
    expect(await store.get('big')).toBeNull();

    await knex.raw('PRAGMA max_page_count = 1073741823');
    expect(await store.set('big', 'x'.repeat(64 * 1024))).toMatchObject({ version: 1 });
  });

  it('a file that cannot be opened (SQLITE_CANTOPEN) is StorageUnavailableError', async () => {
    // The path names a folder, which SQLite cannot open as a database.
    const store = createKnexSettingsStore(track(createKnexFromUrl(`sqlite:${dir.path}`)));
    const error = await failureOf(() => store.get('k'));
    expectUnavailable(error, [dir.path]);
    expect(error.cause).toMatchObject({ code: 'SQLITE_CANTOPEN' });
  });

  it('a missing table (migrations not run) is StorageUnavailableError saying so, quoting no SQL or value', async () => {
    const store = createKnexSettingsStore(track(createKnexFromUrl(`sqlite:${filename}`)), { tableName: 'not_migrated' });
    const error = await failureOf(() => store.set('k', 'value-that-must-not-leak'));
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error.message).toBe('The settings storage is not set up: its tables are missing. Run the storage migrations.');
    expect(error.message).not.toMatch(/not_migrated|value-that-must-not-leak|INSERT/i);
  });
});
