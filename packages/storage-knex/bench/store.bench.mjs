// store.set (the PUT hot path) against a bare knex upsert of the same 200-byte value on the
// same knex instance, sequential and 50-way concurrent, on an SQLite file and on PostgreSQL.
// Needs a build first (imports dist). Run directly (`node bench/store.bench.mjs`) for a table,
// or import runStoreBench(). PostgreSQL: BENCH_POSTGRES_URL, default the local test database;
// the run uses a schema of its own and drops it. Not a test: nothing fails on a slow figure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../dist/index.js';

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const VALUE = `gAAAAA${randomBytes(150).toString('base64url')}`.slice(0, 200);
const CONCURRENCY = 50;
/** Distinct keys written in turn, as PUTs of existing scopes. */
const KEYS = 100;
const ROUNDS = 5;

/** ops/s of `operations` calls of `write(i)`, `concurrency` at a time. */
async function opsPerSecond(write, operations, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < operations) await write(next++);
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return operations / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Best of ROUNDS for each side, the two sides alternating round by round so that
 * drifting load (checkpoints, other processes) hits both alike; one warm-up round first.
 */
async function compare(store, bare, operations, concurrency) {
  const rates = { store: [], bare: [] };
  for (let round = 0; round <= ROUNDS; round++) {
    const storeRate = await opsPerSecond(store, operations, concurrency);
    const bareRate = await opsPerSecond(bare, operations, concurrency);
    if (round > 0) {
      rates.store.push(storeRate);
      rates.bare.push(bareRate);
    }
  }
  const store_ops_s = Math.max(...rates.store);
  const bare_ops_s = Math.max(...rates.bare);
  return { store_ops_s: Math.round(store_ops_s), bare_ops_s: Math.round(bare_ops_s), ratio: Number((store_ops_s / bare_ops_s).toFixed(2)) };
}

async function benchDatabase(url, operations) {
  const knex = createKnexFromUrl(url);
  try {
    await migrateSettingsStore(knex);
    // As the server runs it: listening for other processes' writes.
    const store = createKnexSettingsStore(knex);
    const unwatch = store.watch(() => undefined);
    const key = (i) => `bench:${i % KEYS}`;
    const storeSet = (i) => store.set(key(i), VALUE);
    const bareUpsert = (i) =>
      knex('settings')
        .insert({ key: key(i), value: VALUE, version: 1, updated_at: new Date().toISOString() })
        .onConflict('key')
        .merge();
    await storeSet(0);
    const result = {
      sequential: await compare(storeSet, bareUpsert, operations.sequential, 1),
      concurrent: await compare(storeSet, bareUpsert, operations.concurrent, CONCURRENCY),
    };
    unwatch();
    await store.close();
    return result;
  } finally {
    await knex.destroy();
  }
}

/** A schema of its own in the PostgreSQL database, so the run touches nothing else. */
async function withPostgresSchema(run) {
  const schema = `llm_settings_bench_${randomBytes(6).toString('hex')}`;
  const admin = createKnexFromUrl(POSTGRES_URL);
  await admin.raw('CREATE SCHEMA ??', [schema]);
  try {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await run(url.toString());
  } finally {
    await admin.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
    await admin.destroy();
  }
}

/**
 * Measures store.set and a bare knex upsert of the same 200-byte value, on an SQLite file
 * and on PostgreSQL, sequential and 50-way concurrent.
 * @returns ops/s of both and ratio = store / bare for each (the PUT target is at least 0.8).
 */
export async function runStoreBench() {
  const dir = mkdtempSync(join(tmpdir(), 'llm-settings-bench-'));
  try {
    const sqlite = await benchDatabase(`sqlite:${join(dir, 'settings.db')}`, { sequential: 2_000, concurrent: 4_000 });
    const postgres = await withPostgresSchema((url) => benchDatabase(url, { sequential: 2_000, concurrent: 10_000 }));
    return { value_bytes: Buffer.byteLength(VALUE), concurrency: CONCURRENCY, sqlite, postgres };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runStoreBench();
  const rows = [];
  for (const database of ['sqlite', 'postgres']) {
    for (const mode of ['sequential', 'concurrent']) rows.push({ database, mode, ...result[database][mode] });
  }
  console.table(rows);
}
