import { ConflictError, type HistoryEntry, type SettingsStore } from '@llm-settings/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

const CLIENTS = 50;
const SCOPES = 10;
const REQUESTS_PER_CLIENT = 5;
/**
 * How long each turn of the event loop is kept busy, as a server's turns are by the
 * work of its other requests. The SQLite connection answers one statement per turn,
 * so the writers' queue lengthens with it (before the fix, 5 ms made most writes fail).
 */
const BUSY_TURN_MS = 5;

const entry = (scope: string, action: string): HistoryEntry => ({ scope, action, actor: 'admin', fields: ['model'], apiKeyChanged: false });

/** Keeps every turn of the event loop busy for `ms` until the returned function is called. */
function busyEventLoop(ms: number): () => void {
  const timer = setInterval(() => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  }, 0);
  return () => clearInterval(timer);
}

/** What a client of the HTTP API does per request: read, then write; DELETE, PUT, or PUT with If-Match. */
async function request(store: SettingsStore, scope: string, kind: number, value: string): Promise<'written' | 'nothing' | 'precondition failed'> {
  const current = await store.get(scope);
  if (kind === 0) return (await store.delete(scope, { history: entry(scope, 'delete') })) ? 'written' : 'nothing';
  if (kind === 1) {
    try {
      await store.set(scope, value, { expectedVersion: current?.version ?? 0, history: entry(scope, 'update') });
    } catch (error) {
      if (error instanceof ConflictError) return 'precondition failed';
      throw error;
    }
    return 'written';
  }
  await store.set(scope, value, { history: entry(scope, 'update') });
  return 'written';
}

describeEachDatabase(DATABASES, 'writes of many concurrent clients on %s', (_name, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it(`${CLIENTS} clients writing ${SCOPES} scopes with history, on a busy event loop: no write fails, one history entry per write`, async () => {
    const store = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    const outcomes: string[] = [];
    const client = async (c: number) => {
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
        const outcome = await request(store, `scope-${(c + i) % SCOPES}`, (c + i) % 5, `value ${c}.${i}`).catch((error: Error) => `${error.name}: ${error.message}`);
        outcomes.push(outcome);
      }
    };
    const stopBusy = busyEventLoop(BUSY_TURN_MS);
    try {
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    } finally {
      stopBusy();
    }

    expect(outcomes.filter((outcome) => !['written', 'nothing', 'precondition failed'].includes(outcome))).toEqual([]);
    let entries = 0;
    for (let s = 0; s < SCOPES; s++) entries += (await store.readHistory({ scope: `scope-${s}`, limit: CLIENTS * REQUESTS_PER_CLIENT })).length;
    expect(entries).toBe(outcomes.filter((outcome) => outcome === 'written').length);
    await store.close();
  }, 120_000);
});
