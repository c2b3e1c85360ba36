import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import knexFactory from 'knex';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJoseTokenMinter } from '@llm-settings/auth-jose';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createPostgresDatabase, createSqliteDatabase, type TestDatabase } from './support/databases.js';
import { parseScrape, seriesValue, type MetricFamily } from './support/prometheus.js';

const TOKEN = 'e2e-metrics-admin-token-0123456789';
const METRICS_TOKEN = 'e2e-metrics-scraper-token-987654321';
const TOKEN_SECRET = 'e2e-metrics-scoped-token-secret-0123456789abcdef';
const SCOPES = { anthropic: 'tenant-metrics-a', openai: 'tenant-metrics-o' } as const;
const KEYS = { anthropic: 'sk-ant-api03-METRICS-A-key-Qw7Lp2Zx9Rk4Mn6Bv', openai: 'sk-proj-METRICS-O-openai-Kc4Vb7Nm2Xz9Lq5Wr' } as const;
const ANTHROPIC_MODEL = 'claude-sonnet-4-20250514';
const OPENAI_MODEL = 'gpt-4o';
/** Calls of each kind. */
const N = 3;

/** Our metric families and their label names: the scrape must have exactly these (and process metrics). */
const OUR_FAMILIES: Record<string, readonly string[]> = {
  llm_settings_http_requests_total: ['method', 'route', 'status_class'],
  llm_settings_http_request_duration_seconds: ['method', 'route'],
  llm_settings_llm_calls_total: ['provider', 'route', 'upstream_status_class'],
  llm_settings_llm_upstream_duration_seconds: ['provider', 'route'],
  llm_settings_llm_stream_first_byte_seconds: ['provider', 'route'],
  llm_settings_llm_request_bytes_total: ['provider', 'route'],
  llm_settings_llm_response_bytes_total: ['provider', 'route'],
  llm_settings_llm_calls_in_flight: ['provider', 'route'],
  llm_settings_llm_calls_refused_total: ['provider', 'route'],
  llm_settings_provider_tests_total: ['outcome', 'provider'],
  llm_settings_model_lists_total: ['outcome', 'provider'],
  llm_settings_store_errors_total: ['code', 'operation'],
  llm_settings_change_feed_events_total: ['kind'],
  llm_settings_change_feed_reconnects_total: [],
  llm_settings_view_cache_reads_total: ['result'],
  llm_settings_token_cache_reads_total: ['result'],
};
/** A few of prom-client's process metrics, which every platform has. */
const PROCESS_FAMILIES = ['llm_settings_process_cpu_user_seconds_total', 'llm_settings_process_resident_memory_bytes', 'llm_settings_nodejs_eventloop_lag_seconds', 'llm_settings_nodejs_heap_size_used_bytes'];
const oneOf = (values: readonly string[]) => new RegExp(`^(${values.map((value) => value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
/** The values a label may take, per label name: fixed sets only. */
const LABEL_VALUES: Record<string, RegExp> = {
  route: oneOf([
    // The app's route templates, and the pass-through's provider paths.
    ...['/api/settings/llm', '/api/settings/llm/test', '/api/settings/llm/models', '/metrics', 'unmatched'],
    ...['/api/llm/anthropic/v1/messages', '/api/llm/anthropic/v1/models', '/api/llm/openai/v1/chat/completions', '/api/llm/openai/v1/embeddings'],
    ...['/v1/messages', '/v1/models', '/v1/chat/completions', '/v1/embeddings'],
  ]),
  method: /^(GET|HEAD|PUT|POST|DELETE|OPTIONS|PATCH)$/,
  status_class: /^[1-5]xx$/,
  upstream_status_class: /^([1-5]xx|none)$/,
  provider: /^(anthropic|openai)$/,
  outcome: /^[a-z_]+$|^[A-Z]+\.[A-Z_]+$/,
  operation: /^(get|set|setMany|delete|readHistory|pruneHistory|addUsage|readUsage|pruneUsage)$/,
  kind: /^(local|remote|feed_gap)$/,
  result: /^(hit|miss)$/,
  code: /^(STORAGE\.UNAVAILABLE|SETTINGS\.CORRUPTED|INTERNAL|unknown)$/,
  le: /^([0-9.e+-]+|\+Inf)$/,
};

let database: TestDatabase;
let fake: FakeProvider;
let server: RunningServer;

beforeAll(async () => {
  database = createSqliteDatabase();
  fake = await startFakeProvider();
  server = await serveAgainstFake(fake, {
    databaseUrl: database.url,
    logger: captureLogs().logger,
    env: { SETTINGS_API_TOKEN: TOKEN, METRICS_TOKEN, SETTINGS_TOKEN_SECRET: TOKEN_SECRET, PROXY_MAX_IN_FLIGHT_PER_SCOPE: '1' },
  });
  for (const provider of ['anthropic', 'openai'] as const) {
    const response = await fetch(`${server.url}/api/settings/llm`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': SCOPES[provider] },
      body: JSON.stringify({ provider, api_key: KEYS[provider] }),
    });
    expect(response.status).toBe(200);
  }
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

const anthropic = () => new Anthropic({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/anthropic`, defaultHeaders: { 'LLM-Settings-Scope': SCOPES.anthropic }, maxRetries: 0 });
const openai = () => new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/openai/v1`, defaultHeaders: { 'LLM-Settings-Scope': SCOPES.openai }, maxRetries: 0 });

async function scrape(url = server.url, token = METRICS_TOKEN): Promise<{ text: string; families: Map<string, MetricFamily> }> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, families: parseScrape(text) };
}

describe('GET /metrics', () => {
  it('counts N pass-through calls of each kind (JSON, streamed, failed, refused) and scrapes to exactly the listed names and labels', async () => {
    for (let i = 0; i < N; i += 1) {
      await anthropic().messages.create({ model: ANTHROPIC_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
      const stream = await openai().chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: 'user', content: 'hello' }], stream: true });
      for await (const _chunk of stream);
    }
    fake.setBehavior('anthropic', 'server_error');
    for (let i = 0; i < N; i += 1) await expect(anthropic().models.list()).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    fake.setBehavior('anthropic', 'ok');
    // One call held in flight takes the scope's only slot: the next N are refused.
    fake.setBehavior('openai', 'hang');
    const held = new AbortController();
    const holding = openai().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }, { signal: held.signal }).catch((error: Error) => error);
    await expect.poll(() => fake.requests.length).toBe(3 * N + 1);
    const inFlight = (await scrape()).families;
    expect(seriesValue(inFlight, 'llm_settings_llm_calls_in_flight', { provider: 'openai', route: '/v1/embeddings' })).toBe(1);
    for (let i = 0; i < N; i += 1) await expect(openai().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    held.abort();
    await holding;
    fake.setBehavior('openai', 'ok');
    await expect.poll(async () => seriesValue((await scrape()).families, 'llm_settings_llm_calls_in_flight', { provider: 'openai', route: '/v1/embeddings' })).toBe(0);

    const { text, families } = await scrape();
    const value = (name: string, labels: Record<string, string>) => seriesValue(families, name, labels);
    const messages = { provider: 'anthropic', route: '/v1/messages' };
    const chat = { provider: 'openai', route: '/v1/chat/completions' };
    const models = { provider: 'anthropic', route: '/v1/models' };
    const embeddings = { provider: 'openai', route: '/v1/embeddings' };
    expect(value('llm_settings_llm_calls_total', { ...messages, upstream_status_class: '2xx' })).toBe(N);
    expect(value('llm_settings_llm_calls_total', { ...chat, upstream_status_class: '2xx' })).toBe(N);
    expect(value('llm_settings_llm_calls_total', { ...models, upstream_status_class: '5xx' })).toBe(N);
    expect(value('llm_settings_llm_calls_total', { ...embeddings, upstream_status_class: 'none' })).toBe(1);
    expect(value('llm_settings_llm_calls_refused_total', embeddings)).toBe(N);
    expect(value('llm_settings_llm_upstream_duration_seconds', messages)).toBe(N);
    expect(value('llm_settings_llm_upstream_duration_seconds', models)).toBe(N);
    expect(value('llm_settings_llm_stream_first_byte_seconds', chat)).toBe(N);
    expect(value('llm_settings_llm_stream_first_byte_seconds', messages)).toBe(0);
    expect(value('llm_settings_llm_request_bytes_total', messages)).toBeGreaterThan(N * 50);
    expect(value('llm_settings_llm_response_bytes_total', chat)).toBeGreaterThan(N * 100);
    const passThrough = (route: string) => ({ route: `/api/llm/${route}`, method: 'POST' });
    expect(value('llm_settings_http_requests_total', { ...passThrough('anthropic/v1/messages'), status_class: '2xx' })).toBe(N);
    expect(value('llm_settings_http_requests_total', { ...passThrough('openai/v1/embeddings'), status_class: '4xx' })).toBe(N + 1);
    expect(value('llm_settings_http_request_duration_seconds', passThrough('openai/v1/chat/completions'))).toBe(N);
    expect(value('llm_settings_http_requests_total', { route: '/api/settings/llm', method: 'PUT', status_class: '2xx' })).toBe(2);
    expect(value('llm_settings_change_feed_events_total', { kind: 'local' })).toBe(2);

    // Names: ours exactly, the rest prom-client's process metrics, all prefixed.
    for (const name of families.keys()) expect(name).toMatch(/^llm_settings_/);
    for (const name of [...Object.keys(OUR_FAMILIES), ...PROCESS_FAMILIES]) expect([...families.keys()]).toContain(name);
    for (const [name, labels] of Object.entries(OUR_FAMILIES)) {
      for (const sample of families.get(name)?.samples ?? []) {
        const own = Object.keys(sample.labels).filter((label) => !(sample.name.endsWith('_bucket') && label === 'le'));
        expect(own.sort(), sample.name).toEqual(labels);
      }
    }
    // Labels: values from fixed sets only; never a scope, a key, a token or a model.
    for (const name of Object.keys(OUR_FAMILIES)) {
      for (const sample of families.get(name)?.samples ?? []) {
        for (const [label, labelValue] of Object.entries(sample.labels)) expect(labelValue, `${name}{${label}}`).toMatch(LABEL_VALUES[label] ?? /^$/);
      }
    }
    for (const secretOrCallerText of [...Object.values(SCOPES), ...Object.values(KEYS), TOKEN, METRICS_TOKEN, TOKEN_SECRET, ANTHROPIC_MODEL, OPENAI_MODEL, 'text-embedding-3-small', 'sk-']) {
      expect(text).not.toContain(secretOrCallerText);
    }
  });

  it('counts provider tests and model lists by outcome code', async () => {
    const before = (await scrape()).families;
    const test = await fetch(`${server.url}/api/settings/llm/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': SCOPES.anthropic },
      body: JSON.stringify({}),
    });
    expect(test.status).toBe(200);
    const list = await fetch(`${server.url}/api/settings/llm/models`, { headers: { authorization: `Bearer ${TOKEN}`, 'llm-settings-scope': SCOPES.openai } });
    expect(list.status).toBe(200);
    const after = (await scrape()).families;
    const delta = (name: string, labels: Record<string, string>) => seriesValue(after, name, labels) - seriesValue(before, name, labels);
    expect(delta('llm_settings_provider_tests_total', { provider: 'anthropic', outcome: 'ok' })).toBe(1);
    expect(delta('llm_settings_model_lists_total', { provider: 'openai', outcome: 'ok' })).toBe(1);
  });

  it('counts the reads of the settings views: a miss, then hits', async () => {
    const read = () => fetch(`${server.url}/api/settings/llm`, { headers: { authorization: `Bearer ${TOKEN}`, 'llm-settings-scope': 'tenant-metrics-views' } });
    const before = (await scrape()).families;
    for (let i = 0; i < 3; i += 1) expect((await read()).status).toBe(200);
    const after = (await scrape()).families;
    const delta = (result: string) => seriesValue(after, 'llm_settings_view_cache_reads_total', { result }) - seriesValue(before, 'llm_settings_view_cache_reads_total', { result });
    expect({ miss: delta('miss'), hit: delta('hit') }).toEqual({ miss: 1, hit: 2 });
  });

  it('counts the reads of the verified scoped tokens: a miss, then hits, and never the token or its scope', async () => {
    const scope = 'tenant-metrics-tokens';
    const token = await createJoseTokenMinter({ secrets: TOKEN_SECRET }).mint({ scope, can: ['read'], ttlSeconds: 600 });
    const read = () => fetch(`${server.url}/api/settings/llm`, { headers: { authorization: `Bearer ${token}` } });
    const before = (await scrape()).families;
    for (let i = 0; i < 3; i += 1) expect((await read()).status).toBe(200);
    const { text, families: after } = await scrape();
    const delta = (result: string) => seriesValue(after, 'llm_settings_token_cache_reads_total', { result }) - seriesValue(before, 'llm_settings_token_cache_reads_total', { result });
    expect({ miss: delta('miss'), hit: delta('hit') }).toEqual({ miss: 1, hit: 2 });
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toContain(scope);
  });

  it('asks for METRICS_TOKEN when set: no token, the admin token and a cross-site page are refused', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
    const crossSite = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } });
    expect(crossSite.status).toBe(403);
  });

  it('takes the admin token without METRICS_TOKEN, and answers 404 with METRICS=0', async () => {
    const others: RunningServer[] = [];
    const databases = [createSqliteDatabase(), createSqliteDatabase()];
    try {
      const adminOnly = await serveAgainstFake(fake, { databaseUrl: databases[0]!.url, logger: captureLogs().logger, env: { SETTINGS_API_TOKEN: TOKEN } });
      others.push(adminOnly);
      expect((await fetch(`${adminOnly.url}/metrics`)).status).toBe(401);
      await scrape(adminOnly.url, TOKEN);
      const off = await serveAgainstFake(fake, { databaseUrl: databases[1]!.url, logger: captureLogs().logger, env: { SETTINGS_API_TOKEN: TOKEN, METRICS: '0' } });
      others.push(off);
      expect((await fetch(`${off.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      for (const other of others) await other.close();
      for (const created of databases) await created.drop();
    }
  });

  it('counts the store failures by operation and code: writes to a removed database folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llm-metrics-store-'));
    const data = join(root, 'data');
    const local = await serveAgainstFake(fake, { databaseUrl: `sqlite:${join(data, 'llm-settings.db')}`, logger: captureLogs().logger, env: { SETTINGS_API_TOKEN: TOKEN } });
    try {
      const put = () =>
        fetch(`${local.url}/api/settings/llm`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ provider: 'anthropic', api_key: KEYS.anthropic }),
        });
      expect((await put()).status).toBe(200);
      expect((await fetch(`${local.url}/readyz`)).status).toBe(200);
      const before = (await scrape(local.url, TOKEN)).families;
      expect(before.get('llm_settings_store_errors_total')?.samples).toEqual([]);
      rmSync(data, { recursive: true, force: true });
      for (let i = 0; i < 2; i += 1) expect((await put()).status).toBe(503);
      const samples = (await scrape(local.url, TOKEN)).families.get('llm_settings_store_errors_total')?.samples ?? [];
      expect(samples.every((sample) => sample.labels.code === 'STORAGE.UNAVAILABLE')).toBe(true);
      expect(samples.reduce((sum, sample) => sum + sample.value, 0)).toBe(2);
    } finally {
      await local.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("counts the usage store's failures: its flushes and reads once its table is gone", async () => {
    const local = createSqliteDatabase();
    const instance = await serveAgainstFake(fake, { databaseUrl: local.url, logger: captureLogs().logger, env: { SETTINGS_API_TOKEN: TOKEN, USAGE_FLUSH_MS: '100' } });
    const other = knexFactory({ client: 'sqlite3', connection: { filename: local.url.slice('sqlite:'.length) }, useNullAsDefault: true });
    try {
      const errors = async (operation: string) =>
        (await scrape(instance.url, TOKEN)).families
          .get('llm_settings_store_errors_total')!
          .samples.filter((sample) => sample.labels.operation === operation)
          .map((sample) => [sample.labels.code, sample.value]);
      const put = await fetch(`${instance.url}/api/settings/llm`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'anthropic', api_key: KEYS.anthropic }),
      });
      expect(put.status).toBe(200);
      await other.schema.dropTable('llm_usage');
      // A counted call, whose usage each flush then fails to add.
      const client = new Anthropic({ apiKey: TOKEN, baseURL: `${instance.url}/api/llm/anthropic`, maxRetries: 0 });
      await client.messages.create({ model: ANTHROPIC_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
      await expect.poll(() => errors('addUsage'), { timeout: 5000 }).toEqual([['STORAGE.UNAVAILABLE', expect.any(Number)]]);
      const usage = await fetch(`${instance.url}/api/settings/llm/usage?from=2026-01-01&to=2026-01-31`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(usage.status).toBe(503);
      expect(await errors('readUsage')).toEqual([['STORAGE.UNAVAILABLE', 1]]);
    } finally {
      await other.destroy();
      await instance.close();
      await local.drop();
    }
  });

  it("counts another instance's writes as remote change-feed events, and the feed's reconnects, on PostgreSQL", async () => {
    const shared = await createPostgresDatabase();
    const env = { SETTINGS_API_TOKEN: TOKEN, ENCRYPTION_KEY: generateFernetKey() };
    const instances: RunningServer[] = [];
    try {
      for (let i = 0; i < 2; i += 1) instances.push(await serveAgainstFake(fake, { databaseUrl: shared.url, logger: captureLogs().logger, env }));
      const [writer, reader] = instances as [RunningServer, RunningServer];
      const changes = async (instance: RunningServer, kind: string) => seriesValue((await scrape(instance.url, TOKEN)).families, 'llm_settings_change_feed_events_total', { kind });
      let writes = 0;
      const put = async () => {
        const answer = await fetch(`${writer.url}/api/settings/llm`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ provider: 'openai', api_key: KEYS.openai }),
        });
        expect(answer.status).toBe(200);
        writes += 1;
      };
      // The reader's feed listens once its connection is up: a write before is counted as its start's feed_gap, not as remote.
      await expect.poll(async () => (await put(), changes(reader, 'remote')), { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(1);
      expect(await changes(writer, 'local')).toBe(writes);
      expect(await changes(reader, 'local')).toBe(0);

      // Both instances' LISTEN sessions dropped, as a database restart would: each reconnects once.
      const reconnects = async (instance: RunningServer) => seriesValue((await scrape(instance.url, TOKEN)).families, 'llm_settings_change_feed_reconnects_total', {});
      expect([await reconnects(writer), await reconnects(reader)]).toEqual([0, 0]);
      const admin = knexFactory({ client: 'pg', connection: shared.url, pool: { min: 0, max: 1 } });
      try {
        const listening = await admin.raw("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'");
        expect(listening.rows).toHaveLength(2);
      } finally {
        await admin.destroy();
      }
      await expect.poll(async () => [await reconnects(writer), await reconnects(reader)], { timeout: 10_000, interval: 100 }).toEqual([1, 1]);
      // One when the reader's feed first came up, one on the drop, one on the reconnect.
      expect(await changes(reader, 'feed_gap')).toBe(3);
    } finally {
      for (const instance of instances) await instance.close();
      await shared.drop();
    }
  });
});
