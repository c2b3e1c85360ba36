import type { SettingChange, SettingsStore } from '@llm-settings/core';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { listenForNotifications } from '../src/dialects/postgres-listener.js';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createFreezingProxy, type FreezingProxy } from './support/freezing-proxy.js';
import { createTestSchema, describeWithPostgres, POSTGRES_URL, sessionsOf, type TestSchema } from './support/postgres.js';

/** The listener's defaults: a silent connection is found at most this long after its last answer. */
const LIVENESS_INTERVAL_MS = 2_000;
const LIVENESS_TIMEOUT_MS = 2_000;
/** Reconnect (first retry after 100 ms), connect and LISTEN, on a shared machine. */
const RECONNECT_MARGIN_MS = 1_500;

/** What a store reports once its feed is first up, and when it goes down or comes back. */
const FEED_GAP: SettingChange = { key: null, origin: 'remote' };

/** A forwarder to the test PostgreSQL whose `freeze` silences the connections open so far. */
function createPostgresProxy(): Promise<FreezingProxy> {
  const target = new URL(POSTGRES_URL);
  return createFreezingProxy({ host: target.hostname, port: Number(target.port) });
}

let schema: TestSchema;
let proxy: FreezingProxy;
const opened: { knex: Knex; store: SettingsStore }[] = [];

/** A store over its own knex, standing for another process; `listenVia` routes its LISTEN connection through a proxy. */
function openProcess(name: string, listenVia?: FreezingProxy) {
  const applicationName = `${schema.name}_${name}`;
  const knex = createKnexFromUrl(schema.url(applicationName));
  let resumed = 0;
  const store = createKnexSettingsStore(knex, {
    notifyChannel: schema.name,
    listenConnection: listenVia ? proxiedUrl(applicationName, listenVia) : undefined,
    onRemoteFeedResumed: () => (resumed += 1),
  });
  opened.push({ knex, store });
  return { store, applicationName, changes: [] as SettingChange[], resumed: () => resumed };
}

/** The schema's URL, through `via`. */
function proxiedUrl(applicationName: string, via: FreezingProxy): string {
  const url = new URL(schema.url(applicationName));
  url.port = String(via.port);
  return url.toString();
}

beforeAll(async () => {
  schema = await createTestSchema();
  const knex = createKnexFromUrl(schema.url());
  await migrateSettingsStore(knex);
  await knex.destroy();
});

afterEach(async () => {
  for (const { knex, store } of opened.splice(0)) {
    await store.close();
    await knex.destroy();
  }
  await proxy?.close();
});

afterAll(async () => {
  await schema?.drop();
});

describeWithPostgres('PostgreSQL LISTEN connection that goes silent', () => {
  it('is found by its liveness check, reconnected, and reported as a gap, so a write made meanwhile reaches the watchers', async () => {
    proxy = await createPostgresProxy();
    const reader = openProcess('reader', proxy);
    const writer = openProcess('writer');
    reader.store.watch((change) => reader.changes.push(change));
    await vi.waitFor(() => expect(reader.changes).toEqual([FEED_GAP]), { timeout: 5_000, interval: 10 });
    const [listening] = await sessionsOf(schema.admin, reader.applicationName, { listening: true });
    reader.changes.length = 0;

    proxy.freeze();
    const frozenAt = performance.now();
    // Its NOTIFY is lost on the frozen connection: only the gaps around the reconnect cover it.
    await writer.store.set('provider', 'written while the reader heard nothing');

    await vi.waitFor(() => expect(reader.changes).toEqual([FEED_GAP, FEED_GAP]), {
      timeout: LIVENESS_INTERVAL_MS + LIVENESS_TIMEOUT_MS + RECONNECT_MARGIN_MS,
      interval: 10,
    });
    expect(performance.now() - frozenAt).toBeLessThan(LIVENESS_INTERVAL_MS + LIVENESS_TIMEOUT_MS + RECONNECT_MARGIN_MS);
    expect(reader.resumed()).toBe(1);
    // A new connection through the proxy, on a new session.
    expect(proxy.accepted()).toBe(2);
    // The frozen session lives on at the server until the proxy closes it.
    const relistening = await sessionsOf(schema.admin, reader.applicationName, { listening: true });
    expect(relistening.filter((pid) => pid !== listening)).toHaveLength(1);

    await writer.store.set('model', 'written once the reader listened again');
    await vi.waitFor(() => expect(reader.changes).toEqual([FEED_GAP, FEED_GAP, { key: 'model', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
  });

  it('with shorter liveness options, a silent connection is found within interval + deadline, and one that answers is kept', async () => {
    proxy = await createPostgresProxy();
    const events: string[] = [];
    const subscription = listenForNotifications({
      clientConfig: proxiedUrl(`${schema.name}_listener`, proxy),
      channel: schema.name,
      onPayload: () => events.push('payload'),
      onInterrupted: () => events.push('interrupted'),
      onResumed: () => events.push('resumed'),
      onStarted: () => events.push('started'),
      livenessIntervalMs: 50,
      livenessTimeoutMs: 200,
    });
    try {
      await vi.waitFor(() => expect(events).toEqual(['started']), { timeout: 5_000, interval: 10 });
      // Twenty checks answered: none counts as missed.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(events).toEqual(['started']);
      expect(proxy.accepted()).toBe(1);

      proxy.freeze();
      const frozenAt = performance.now();
      await vi.waitFor(() => expect(events).toEqual(['started', 'interrupted']), { timeout: 1_000, interval: 5 });
      expect(performance.now() - frozenAt).toBeLessThan(50 + 200 + 150);
      await vi.waitFor(() => expect(events).toEqual(['started', 'interrupted', 'resumed']), { timeout: 2_000, interval: 10 });
      expect(proxy.accepted()).toBe(2);
    } finally {
      await subscription.close();
    }
  });

  it('close does not wait for good on a silent connection: after the deadline, its socket is destroyed', async () => {
    proxy = await createPostgresProxy();
    const events: string[] = [];
    const subscription = listenForNotifications({
      clientConfig: proxiedUrl(`${schema.name}_closing`, proxy),
      channel: schema.name,
      onPayload: () => undefined,
      onInterrupted: () => events.push('interrupted'),
      onResumed: () => events.push('resumed'),
      onStarted: () => events.push('started'),
      // No check in flight when it closes: the goodbye is a graceful end, which goes unanswered.
      livenessIntervalMs: 60_000,
      livenessTimeoutMs: 300,
    });
    await vi.waitFor(() => expect(events).toEqual(['started']), { timeout: 5_000, interval: 10 });
    proxy.freeze();
    const closingAt = performance.now();
    await subscription.close();
    expect(performance.now() - closingAt).toBeLessThan(300 + 500);
    expect(events).toEqual(['started']);
  });
});
