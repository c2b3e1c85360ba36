import { afterEach, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('GET /healthz', () => {
  it('answers 200 {status: ok} even when not ready', async () => {
    server = await startServer({ readiness: async () => ({ ready: false, checks: { storage: 'fail' } }) });
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('answers 200 with no checks by default', async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: {} });
  });

  it('answers 200 or 503 with the checks, following the readiness function on every call', async () => {
    let report: ReadinessReport = { ready: true, checks: { storage: 'ok', cipher: 'ok' } };
    server = await startServer({ readiness: async () => report });

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { storage: 'ok', cipher: 'ok' } });

    report = { ready: false, checks: { storage: 'fail', cipher: 'ok' } };
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('cache-control')).toBe('no-store');
    expect(await notReady.json()).toEqual({ status: 'not_ready', checks: { storage: 'fail', cipher: 'ok' } });
  });

  it('answers 503 when the readiness function throws, logging a redacted message', async () => {
    const secret = 'sk-proj-READINESSsecret000111222';
    server = await startServer({
      readiness: async () => {
        throw new Error(`probe failed with ${secret}`);
      },
    });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'not_ready', checks: {} });
    expect(text).not.toContain('probe failed');
    const warning = server.logger.entries().find((entry) => entry.msg === 'readiness check threw');
    expect(warning).toMatchObject({ level: 'warn', error_message: expect.stringContaining('probe failed with [REDACTED]') });
    for (const line of server.logger.lines) expect(line).not.toContain(secret.slice(3, 15));
  });
});
