import { ErrorCodes, LlmSettingsService, type SettingsStore } from '@llm-settings/core';
import { createMemoryCipher, createScriptedProbe } from '@llm-settings/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

const KEY = 'sk-proj-INHERITED-ACROSS-aaaa1111';
const NEW_KEY = 'sk-proj-INHERITED-ACROSS-bbbb2222';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until it gives `expected`, for a generous while; what it gives last otherwise. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<T> {
  let last = await read();
  for (let tries = 0; last !== expected && tries < 200; tries++) {
    await sleep(50);
    last = await read();
  }
  return last;
}

/** Waits until `other` hears `here`'s writes: its feed starts at its first `watch`, and a write before that goes unheard. */
async function untilFeedUp(here: SettingsStore, other: SettingsStore): Promise<void> {
  let heard = false;
  const off = other.watch((change) => (heard ||= change.key === 'feed-check' || change.key === null));
  for (let tries = 0; !heard && tries < 200; tries++) {
    await here.set('feed-check', 'x');
    await sleep(50);
  }
  off();
}

describeEachDatabase(DATABASES, 'a parent write reaches its children in another process on %s', (_name, open) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('get and resolve - a child whose view another process caches sees its parent new model and key', async () => {
    const cipher = createMemoryCipher({ keys: ['across processes'] });
    const here = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    // Another process: connections of its own, views cached and dropped by its change feed.
    const other = createKnexSettingsStore(db.connect('inheritance other process'), { notifyChannel: db.channel });
    const writer = new LlmSettingsService({ store: here, cipher, probe: createScriptedProbe() });
    const reader = new LlmSettingsService({ store: other, cipher, probe: createScriptedProbe(), viewCache: { ttlMs: 60_000 } });
    await untilFeedUp(here, other);

    await writer.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o' }, { scope: 'team-3' });
    await writer.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    expect((await reader.get({ scope: 'tenant-a' })).view).toMatchObject({ model: 'gpt-4o', api_key_source: 'inherited' });

    await writer.update({ provider: 'openai', api_key: NEW_KEY, model: 'gpt-4.1' }, { scope: 'team-3' });
    expect(await eventually(async () => (await reader.get({ scope: 'tenant-a' })).view.model, 'gpt-4.1')).toBe('gpt-4.1');
    expect((await reader.resolve({ scope: 'tenant-a' })).apiKey.reveal()).toBe(NEW_KEY);

    reader.close();
    writer.close();
    await other.close();
    await here.close();
  });

  it('update - links racing from two processes never leave a cycle: a link found closing one once written is put back', async () => {
    const cipher = createMemoryCipher({ keys: ['across processes'] });
    const here = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    const other = createKnexSettingsStore(db.connect('racing links other process'), { notifyChannel: db.channel });
    const first = new LlmSettingsService({ store: here, cipher, probe: createScriptedProbe() });
    const second = new LlmSettingsService({ store: other, cipher, probe: createScriptedProbe() });
    for (let round = 0; round < 20; round++) {
      const [a, b] = [`cycle-${round}-a`, `cycle-${round}-b`];
      const results = await Promise.allSettled([first.update({ inherit_from: b }, { scope: a }), second.update({ inherit_from: a }, { scope: b })]);
      const refusals = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as { code?: string }).code] : []));
      expect(refusals.length).toBeGreaterThan(0);
      expect(new Set(refusals)).toEqual(new Set([ErrorCodes.VALIDATION_INVALID_INPUT]));
      const links = await Promise.all([a, b].map(async (scope) => (await first.get({ scope })).view.inherit_from));
      expect(links.filter((link) => link !== null).length).toBe(2 - refusals.length);
    }
    second.close();
    first.close();
    await other.close();
    await here.close();
  });
});
