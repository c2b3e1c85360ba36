import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { CLI, assertBuilt, freePort, run, start, waitForOk, type Spawned } from './support/processes.js';

/** The bound: a write on one instance is visible on the others within 1 s. */
const VISIBLE_WITHIN_MS = 1_000;
/** How often the other instance is asked; small beside the bound. */
const POLL_INTERVAL_MS = 20;
/** The view cache's safety net: only the change feed can make a cached view fresh sooner. */
const VIEW_CACHE_TTL_MS = 5_000;

const KEYS = {
  openai: 'sk-proj-TWO-INSTANCES-0000000000000000wxyz',
  anthropic: 'sk-ant-api03-TWO-INSTANCES-00000000000abcd',
};

interface Instance {
  name: string;
  url: string;
  process: Spawned;
}

interface Answer {
  status: number;
  etag: string | null;
  body: Record<string, unknown>;
}

async function call(instance: Instance, method: string, body?: object): Promise<Answer> {
  const response = await fetch(`${instance.url}/api/settings/llm`, {
    method,
    ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag'), body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/**
 * Asks `instance` until its GET answers `etag`, and returns how long that took after
 * `since`. Gives up at twice the bound so that a miss reports its real delay.
 * (On SQLite, without a change feed, the cached view would be served for up to
 * VIEW_CACHE_TTL_MS and a miss would show here.)
 */
async function millisecondsUntilVisible(instance: Instance, etag: string, since: number): Promise<number> {
  for (;;) {
    const answer = await call(instance, 'GET');
    expect(answer.status).toBe(200);
    if (answer.etag === etag) return performance.now() - since;
    if (performance.now() - since > 2 * VISIBLE_WITHIN_MS) return Number.POSITIVE_INFINITY;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Fails with how late `instance` showed `etag`, when it was later than the bound. */
async function expectVisibleWithinBound(instance: Instance, etag: string, since: number, what: string): Promise<void> {
  const delay = await millisecondsUntilVisible(instance, etag, since);
  const seen = Number.isFinite(delay) ? `after ${Math.round(delay)} ms` : `not within ${2 * VISIBLE_WITHIN_MS} ms`;
  expect(delay, `${instance.name} showed ${what} ${seen}`).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
}

// On SQLite, one file: the instances see each other's commits by polling SQLite's data_version.
describeEachDatabase('two server processes on one %s database', (kind) => {
  let database: TestDatabase;
  let fake: FakeProvider;
  let a: Instance;
  let b: Instance;
  /** Both instances encrypt with the first and decrypt with either; `rotate-key` moves values to the second. */
  const keys = { current: generateFernetKey(), next: generateFernetKey() };

  async function startInstance(name: string, encryptionKey: string): Promise<Instance> {
    const port = await freePort();
    const spawned = start('node', [CLI, 'serve'], {
      PORT: String(port),
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: encryptionKey,
      OPENAI_BASE_URL: fake.baseUrls.openai,
      LOG_LEVEL: 'warn',
    });
    const instance = { name, url: `http://127.0.0.1:${port}`, process: spawned };
    await waitForOk(`${instance.url}/readyz`);
    return instance;
  }

  async function stop(instance: Instance | undefined): Promise<void> {
    if (!instance || instance.process.child.exitCode !== null) return;
    process.kill(-instance.process.child.pid!, 'SIGTERM');
    await instance.process.exited;
  }

  beforeAll(async () => {
    assertBuilt();
    database = await createDatabase(kind);
    fake = await startFakeProvider();
    const encryptionKey = `${keys.current},${keys.next}`;
    a = await startInstance('A', encryptionKey);
    b = await startInstance('B', encryptionKey);
  });

  afterAll(async () => {
    await Promise.all([stop(a), stop(b)]);
    await fake?.close();
    await database?.drop();
  });

  it('a PUT on one instance is visible through GET on the other within 1 s', async () => {
    const put = await call(a, 'PUT', { provider: 'openai', api_key: KEYS.openai, model: 'gpt-4o' });
    const written = performance.now();
    expect(put.status).toBe(200);

    expect(await millisecondsUntilVisible(b, put.etag!, written)).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    expect((await call(b, 'GET')).body).toEqual(put.body);
  });

  it('replaces a view the other instance has already cached within 1 s, in both directions', async () => {
    const rounds: Array<[Instance, Instance, object]> = [
      [a, b, { provider: 'openai', api_key: KEYS.openai, model: 'gpt-4.1' }],
      [b, a, { provider: 'anthropic', api_key: KEYS.anthropic, model: 'claude-opus-4-1' }],
      [a, b, { provider: 'anthropic', model: 'claude-sonnet-4-20250514' }],
      [b, a, { provider: 'openai', api_key: KEYS.openai }],
    ];
    for (const [writer, reader, body] of rounds) {
      // The reader serves the current view twice: the second answer comes from its cache,
      // which would otherwise stay as it is for up to VIEW_CACHE_TTL_MS.
      const before = await call(reader, 'GET');
      expect((await call(reader, 'GET')).etag).toBe(before.etag);
      const cachedAt = performance.now();

      const put = await call(writer, 'PUT', body);
      const written = performance.now();
      expect(put.status).toBe(200);
      expect(put.etag).not.toBe(before.etag);

      await expectVisibleWithinBound(reader, put.etag!, written, `${writer.name}'s write`);
      // Seen well before the cached view could have expired: the change feed did it.
      expect(performance.now() - cachedAt).toBeLessThan(VIEW_CACHE_TTL_MS);
      expect((await call(reader, 'GET')).body).toEqual(put.body);
    }
  });

  it('rotate-key run by the CLI beside the running instances: both serve the rotated record within 1 s, the same view under a new ETag', async () => {
    const before = await call(a, 'GET');
    expect(before.body).toMatchObject({ api_key_set: true });
    // Both instances serve the view from their caches.
    expect((await call(b, 'GET')).etag).toBe(before.etag);
    expect((await call(a, 'GET')).etag).toBe(before.etag);

    const rotated = await run('node', [CLI, 'rotate-key'], { DATABASE_URL: database.url, ENCRYPTION_KEY: `${keys.next},${keys.current}`, LOG_LEVEL: 'warn' });
    const written = performance.now();
    expect(rotated.output).toContain('Re-encrypted 1 of 1 stored value(s)');
    expect(rotated.code).toBe(0);

    const after = await call(a, 'GET');
    // The CLI may have been slow to exit: whichever instance showed it first, both must by now.
    const current = after.etag === before.etag ? await waitForNewEtag(a, before.etag!, written) : after.etag!;
    await expectVisibleWithinBound(b, current, written, "the CLI's rotation");
    // The same settings, now stored (and so stamped) by the rotation.
    for (const instance of [a, b]) {
      const answer = await call(instance, 'GET');
      expect(answer.etag).toBe(current);
      expect(answer.body).toEqual({ ...before.body, updated_at: expect.any(String) });
      expect(answer.body.updated_at).not.toBe(before.body.updated_at);
    }
  });

  it("a new key saved on one instance is the key the other's LLM pass-through sends within 1 s (resolve follows the change feed)", async () => {
    const chat = async (instance: Instance) => {
      const response = await fetch(`${instance.url}/api/llm/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      return fake.requests.at(-1)?.apiKey;
    };
    const [first, second] = [`${KEYS.openai}-first`, `${KEYS.openai}-second`];
    expect((await call(a, 'PUT', { provider: 'openai', api_key: first, model: 'gpt-4o' })).status).toBe(200);
    await expectVisibleWithinBound(b, (await call(a, 'GET')).etag!, performance.now(), "A's write");
    // B resolves the key from its cache from now on.
    expect(await chat(b)).toBe(first);
    expect(await chat(b)).toBe(first);

    expect((await call(a, 'PUT', { provider: 'openai', api_key: second, model: 'gpt-4o' })).status).toBe(200);
    const written = performance.now();
    while ((await chat(b)) !== second) {
      expect(performance.now() - written, "B still sent the old key").toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  });

  it('a DELETE on one instance is visible on the other within 1 s', async () => {
    expect((await call(b, 'GET')).body).toMatchObject({ api_key_set: true });
    const deleted = await call(a, 'DELETE');
    const written = performance.now();
    expect(deleted.status).toBe(204);

    const absent = (await call(a, 'GET')).etag!;
    await expectVisibleWithinBound(b, absent, written, "A's delete");
    expect((await call(b, 'GET')).body).toMatchObject({ api_key_set: false, api_key_masked: null });
  });
});

/** Asks `instance` until its ETag is no longer `stale`, within the bound after `since`; returns the new one. */
async function waitForNewEtag(instance: Instance, stale: string, since: number): Promise<string> {
  for (;;) {
    const answer = await call(instance, 'GET');
    if (answer.etag !== stale) return answer.etag!;
    expect(performance.now() - since, `${instance.name} still served the ETag from before the rotation`).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
