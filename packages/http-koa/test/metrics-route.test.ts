import { afterEach, describe, expect, it } from 'vitest';
import type { HttpObserver, MetricsOptions, RequestObservation } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

const API_TOKEN = 'metrics-route-admin-token-0123';
const METRICS_TOKEN = 'metrics-route-scraper-token-456';

/** An observer that records what the app reports. */
function recordingObserver(): HttpObserver & { requests: RequestObservation[] } {
  const requests: RequestObservation[] = [];
  return { requests, requestEnded: (observation) => requests.push(observation), llmInFlight: () => {}, llmRefused: () => {}, llmCallEnded: () => {} };
}

function metricsOptions(observer: HttpObserver, token?: string): MetricsOptions {
  return { observer, scrape: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'llm_settings_up 1\n' }), ...(token ? { token } : {}) };
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the metrics option', () => {
  it('serves the scrape at /metrics, and reports each request by its route template, never its URL', async () => {
    const observer = recordingObserver();
    server = await startServer({ metrics: metricsOptions(observer) });
    const scrape = await fetch(`${server.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await scrape.text()).toBe('llm_settings_up 1\n');
    await fetch(`${server.url}/api/settings/llm`, { headers: { 'llm-settings-scope': 'tenant-secret-name' } });
    await fetch(`${server.url}/no/such/path-of-the-caller`);
    await expect.poll(() => observer.requests.length).toBe(3);
    expect(observer.requests.map(({ route, method, status }) => ({ route, method, status }))).toEqual([
      { route: '/metrics', method: 'GET', status: 200 },
      { route: '/api/settings/llm', method: 'GET', status: 200 },
      { route: null, method: 'GET', status: 404 },
    ]);
    expect(JSON.stringify(observer.requests)).not.toMatch(/tenant-secret-name|path-of-the-caller/);
    for (const { seconds } of observer.requests) expect(seconds).toBeGreaterThan(0);
  });

  it('asks for the API token, or for the metrics token alone when one is set', async () => {
    server = await startServer({ apiToken: API_TOKEN, metrics: metricsOptions(recordingObserver()) });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
    await server.close();

    server = await startServer({ apiToken: API_TOKEN, metrics: metricsOptions(recordingObserver(), METRICS_TOKEN) });
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });

  it('refuses a page of another site, like the API routes', async () => {
    server = await startServer({ metrics: metricsOptions(recordingObserver()) });
    const crossSite = await fetch(`${server.url}/metrics`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } });
    expect(crossSite.status).toBe(403);
  });

  it('leaves /metrics unanswered (404) without it', async () => {
    server = await startServer();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });
});
