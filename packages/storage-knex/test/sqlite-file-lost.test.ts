import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, StorageUnavailableError, type SettingsStore } from '@llm-settings/core';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTempDir, type TempDir } from './support/sqlite.js';

const LOST_MESSAGE = 'The SQLite database file was deleted or replaced while open: writes are refused, since they would be lost. Restore the file and restart.';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A store on `<temp>/data/settings.db`, migrated, holding one value. */
async function storeInDataFolder(): Promise<{ dir: TempDir; data: string; file: string; knex: Knex; store: SettingsStore }> {
  const dir = createTempDir();
  const data = join(dir.path, 'data');
  const file = join(data, 'settings.db');
  const knex = createKnexFromUrl(`sqlite:${file}`);
  const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
  cleanups.push(() => dir.remove());
  cleanups.push(async () => {
    await store.close();
    await knex.destroy();
  });
  await migrateSettingsStore(knex);
  await store.set('kept', 'before');
  return { dir, data, file, knex, store };
}

async function failure(operation: () => Promise<unknown>): Promise<unknown> {
  return operation().then(
    () => 'it claimed success',
    (error: unknown) => error,
  );
}

function expectLost(error: unknown): void {
  expect(error).toBeInstanceOf(StorageUnavailableError);
  expect((error as Error).message).toBe(LOST_MESSAGE);
}

describe('an SQLite database file removed or replaced while open', () => {
  it('its folder deleted: every kind of write fails as StorageUnavailableError, none claims success, and stays refused', async () => {
    const { data, store } = await storeInDataFolder();
    rmSync(data, { recursive: true, force: true });

    expectLost(await failure(() => store.set('kept', 'after')));
    expectLost(await failure(() => store.set('kept', 'after', { expectedVersion: 1 })));
    expectLost(await failure(() => store.setMany([{ key: 'a', value: '1' }])));
    expectLost(await failure(() => store.delete('kept')));
    expectLost(await failure(() => store.delete('kept', { expectedVersion: 1 })));
    // Concurrent sets share a batch: each of them hears of the loss.
    for (const error of await Promise.all(Array.from({ length: 5 }, (_, i) => failure(() => store.set(`k${i}`, 'v'))))) expectLost(error);
  });

  it('another file renamed over it (the inode changed): writes fail as StorageUnavailableError', async () => {
    const { data, file, store } = await storeInDataFolder();
    copyFileSync(file, join(data, 'copy.db'));
    renameSync(join(data, 'copy.db'), file);

    expectLost(await failure(() => store.set('kept', 'after')));
  });

  it('a folder of the same name made again, empty: writes still fail', async () => {
    const { data, store } = await storeInDataFolder();
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data);

    expectLost(await failure(() => store.set('kept', 'after')));
  });

  it('the readiness probe\'s compare-and-set at an impossible version fails too, where the file in place answers ConflictError', async () => {
    const { data, store } = await storeInDataFolder();
    expect(await failure(() => store.set('probe', '', { expectedVersion: -1 }))).toBeInstanceOf(ConflictError);

    rmSync(data, { recursive: true, force: true });
    expectLost(await failure(() => store.set('probe', '', { expectedVersion: -1 })));
  });

  it('a file left in place keeps working, its folder renamed and back included', async () => {
    const { dir, data, store } = await storeInDataFolder();
    expect(await store.set('kept', 'second')).toMatchObject({ version: 2 });
    renameSync(data, join(dir.path, 'moved'));
    renameSync(join(dir.path, 'moved'), data);
    expect(await store.set('kept', 'third')).toMatchObject({ version: 3 });
    expect((await store.get('kept'))?.value).toBe('third');
  });
});
