import { readdirSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, type TestDatabase } from '../support/databases.js';
import { Figures } from './support/figures.js';
import { send } from './support/http-client.js';
import { killLeftoverServers, startServer, type ServerProcess } from './support/server-process.js';

/*
 * A flood of pass-through calls to a provider that holds them (security issue #26, item 6):
 * without a bound, every call holds a client socket and a provider socket for up to
 * PROXY_TIMEOUT_MS, and at an open-file limit of 1024 about 500 calls exhaust the
 * process. With PROXY_MAX_IN_FLIGHT the excess is refused at once, the open files stay
 * bounded, /healthz answers throughout, and the held calls all end when the provider
 * answers.
 */

const MAX_IN_FLIGHT = 50;
const MAX_IN_FLIGHT_PER_SCOPE = 20;
const EXCESS = 100;
const SCOPES = ['tenant-a', 'tenant-b', 'tenant-c'];
/** Per call in flight: the client's socket and the provider's. */
const FDS_PER_CALL = 2;
/** Files the server may open beside its calls' sockets meanwhile (a health check's socket, the database's journal). */
const FD_MARGIN = 16;

/** One call whose status is known from its headers, before its (held) body ends. */
interface Call {
  scope: string;
  status: Promise<Head>;
  body: Promise<string>;
}

interface Head {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A streamed chat completion on a connection of its own (closed after its answer, as `agent: false` does). */
function streamedCall(baseUrl: string, scope: string): Call {
  const payload = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello' }] });
  let head!: (value: Head) => void;
  let fail!: (error: Error) => void;
  const status = new Promise<Head>((resolve, reject) => {
    head = resolve;
    fail = reject;
  });
  const body = new Promise<string>((resolve, reject) => {
    const req = request(`${baseUrl}/api/llm/openai/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'llm-settings-scope': scope },
    });
    req.on('response', (res) => {
      head({ status: res.statusCode ?? 0, headers: res.headers });
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', (error) => {
      fail(error);
      reject(error);
    });
    req.end(payload);
  });
  body.catch(() => {});
  status.catch(() => {});
  return { scope, status, body };
}

/** The server process's open files. */
function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describe('a flood of pass-through calls to a provider that holds them', () => {
  const figures = new Figures('flood');
  let database: TestDatabase;
  let fake: FakeProvider;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createDatabase('sqlite');
    fake = await startFakeProvider();
    server = await startServer({
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: generateFernetKey(),
      OPENAI_BASE_URL: fake.baseUrls.openai,
      PROXY_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
      PROXY_MAX_IN_FLIGHT_PER_SCOPE: String(MAX_IN_FLIGHT_PER_SCOPE),
    });
    for (const scope of SCOPES) {
      const saved = await send(server.url, { method: 'PUT', path: '/api/settings/llm', headers: { 'llm-settings-scope': scope }, body: { provider: 'openai', api_key: `sk-flood-${scope}-0123456789` } });
      expect(saved.status).toBe(200);
    }
  });
  afterAll(async () => {
    fake?.setStreamDelay(0);
    await killLeftoverServers();
    await fake?.close();
    await database?.drop();
    figures.print();
  });

  it(`refuses the calls past ${MAX_IN_FLIGHT} in flight (or ${MAX_IN_FLIGHT_PER_SCOPE} of a scope) with 429 at once, keeps its open files bounded and /healthz up, and ends every held call when the provider answers`, async () => {
    const pid = server.child.pid!;
    // One warm-up call, so that the baseline has the keep-alive and module state a call leaves behind.
    expect(await (await streamedCall(server.url, 'tenant-a').body)).toContain('[DONE]');
    const baseline = openFiles(pid);
    figures.set('open files before', baseline);

    const health: number[] = [];
    let flooding = true;
    const healthChecks = (async () => {
      while (flooding) {
        health.push((await send(server.url, { method: 'GET', path: '/healthz', timeoutMs: 5000 })).status);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    fake.setStreamDelay(Infinity);
    const calls = Array.from({ length: MAX_IN_FLIGHT + EXCESS }, (_, i) => streamedCall(server.url, SCOPES[i % SCOPES.length]!));
    const heads = await Promise.all(calls.map((call) => call.status));
    figures.requests += calls.length;
    figures.faults++;

    // Every call has its status while the accepted ones are still held: the excess was not queued.
    const accepted = calls.filter((_, i) => heads[i]!.status === 200);
    const refused = heads.filter((head) => head.status === 429);
    expect(accepted).toHaveLength(MAX_IN_FLIGHT);
    expect(refused).toHaveLength(EXCESS);
    for (const head of refused) expect(head.headers['retry-after']).toBe('1');
    for (const scope of SCOPES) expect(accepted.filter((call) => call.scope === scope).length, scope).toBeLessThanOrEqual(MAX_IN_FLIGHT_PER_SCOPE);
    expect(fake.requestCount('openai')).toBe(MAX_IN_FLIGHT + 1);
    const refusal = JSON.parse(await calls[heads.findIndex((head) => head.status === 429)]!.body);
    expect(refusal).toMatchObject({ code: 'HTTP.TOO_MANY_REQUESTS', error: { code: 'HTTP.TOO_MANY_REQUESTS' } });

    // Held: the refused calls' sockets close, the accepted ones' stay, two files each.
    const bound = baseline + FDS_PER_CALL * MAX_IN_FLIGHT + FD_MARGIN;
    await expect.poll(() => openFiles(pid), { timeout: 5000 }).toBeLessThanOrEqual(bound);
    const held = openFiles(pid);
    figures.set('open files while held', held);
    figures.set('bound', bound);
    expect(held).toBeGreaterThanOrEqual(baseline + FDS_PER_CALL * MAX_IN_FLIGHT - FD_MARGIN);
    const healthWhileHeld = health.length;
    await expect.poll(() => health.length - healthWhileHeld).toBeGreaterThan(3);
    expect(openFiles(pid)).toBeLessThanOrEqual(bound);

    fake.setStreamDelay(0);
    const bodies = await Promise.all(accepted.map((call) => call.body));
    for (const body of bodies) expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    flooding = false;
    await healthChecks;
    figures.set('health checks', health.length);
    expect(health.length).toBeGreaterThan(3);
    expect(health.every((status) => status === 200)).toBe(true);

    // Every slot is free again: a whole new round is taken.
    // (The provider's idle keep-alive sockets close after its 5 s keep-alive timeout.)
    await expect.poll(() => openFiles(pid), { timeout: 15_000, interval: 250 }).toBeLessThanOrEqual(baseline + FD_MARGIN);
    const again = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => streamedCall(server.url, SCOPES[i % SCOPES.length]!));
    expect(await Promise.all(again.map(async (call) => (await call.status).status))).toEqual(again.map(() => 200));
    figures.requests += again.length;
    for (const call of again) expect(await call.body).toContain('[DONE]');
    expect(server.alive()).toBe(true);
  });
});
