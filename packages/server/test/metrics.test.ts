import { describe, expect, it } from 'vitest';
import { ServerMetrics } from '../src/metrics.js';
import { parseScrape, seriesValue } from './support/prometheus.js';

const CHAT = { provider: 'openai', route: '/v1/chat/completions' } as const;
const CHAT_REQUEST = { route: '/api/llm/openai/v1/chat/completions', method: 'POST', status: 200, seconds: 0.002 };

/** One pass-through call as the HTTP app reports it: in flight, ended, its request answered. */
function call(metrics: ServerMetrics, upstreamStatus: number | null, bytesIn: number, bytesOut: number): void {
  metrics.observer.llmInFlight(CHAT.provider, CHAT.route, 1);
  metrics.observer.llmInFlight(CHAT.provider, CHAT.route, -1);
  metrics.observer.llmCallEnded({ ...CHAT, upstreamStatus, upstreamSeconds: upstreamStatus === null ? null : 0.001, firstByteSeconds: null, bytesIn, bytesOut });
  metrics.observer.requestEnded(CHAT_REQUEST);
  metrics.viewCacheRead(true);
}

async function scrape(metrics: ServerMetrics) {
  const families = parseScrape((await metrics.scrape()).body);
  return (name: string, labels: Record<string, string>) => seriesValue(families, name, labels);
}

describe('ServerMetrics', () => {
  it('scrape - counts made after a scrape add to the totals it showed, and the calls in flight are those of the moment', async () => {
    const metrics = new ServerMetrics();
    call(metrics, 200, 10, 100);
    call(metrics, 200, 20, 200);
    metrics.observer.llmInFlight(CHAT.provider, CHAT.route, 1);
    const first = await scrape(metrics);
    expect(first('llm_settings_llm_calls_total', { ...CHAT, upstream_status_class: '2xx' })).toBe(2);
    expect(first('llm_settings_llm_request_bytes_total', CHAT)).toBe(30);
    expect(first('llm_settings_llm_response_bytes_total', CHAT)).toBe(300);
    expect(first('llm_settings_llm_calls_in_flight', CHAT)).toBe(1);
    expect(first('llm_settings_http_requests_total', { route: CHAT_REQUEST.route, method: 'POST', status_class: '2xx' })).toBe(2);
    expect(first('llm_settings_view_cache_reads_total', { result: 'hit' })).toBe(2);

    metrics.observer.llmInFlight(CHAT.provider, CHAT.route, -1);
    call(metrics, null, 5, 0);
    const second = await scrape(metrics);
    expect(second('llm_settings_llm_calls_total', { ...CHAT, upstream_status_class: '2xx' })).toBe(2);
    expect(second('llm_settings_llm_calls_total', { ...CHAT, upstream_status_class: 'none' })).toBe(1);
    expect(second('llm_settings_llm_upstream_duration_seconds', CHAT)).toBe(2);
    expect(second('llm_settings_llm_request_bytes_total', CHAT)).toBe(35);
    expect(second('llm_settings_llm_response_bytes_total', CHAT)).toBe(300);
    expect(second('llm_settings_llm_calls_in_flight', CHAT)).toBe(0);
    expect(second('llm_settings_http_requests_total', { route: CHAT_REQUEST.route, method: 'POST', status_class: '2xx' })).toBe(3);
    expect(second('llm_settings_http_request_duration_seconds', { route: CHAT_REQUEST.route, method: 'POST' })).toBe(3);
    expect(second('llm_settings_view_cache_reads_total', { result: 'hit' })).toBe(3);
  });

  it('scrape - counts methods outside the usual seven as _OTHER, so that callers cannot add series by the method they send', async () => {
    const metrics = new ServerMetrics();
    for (const method of ['PROPFIND', 'MKCALENDAR', 'M-SEARCH', 'PATCH', 'GET']) metrics.observer.requestEnded({ route: null, method, status: 404, seconds: 0.001 });
    const counts = await scrape(metrics);
    expect(counts('llm_settings_http_requests_total', { route: 'unmatched', method: '_OTHER', status_class: '4xx' })).toBe(3);
    expect(counts('llm_settings_http_requests_total', { route: 'unmatched', method: 'PATCH', status_class: '4xx' })).toBe(1);
    expect(counts('llm_settings_http_requests_total', { route: 'unmatched', method: 'GET', status_class: '4xx' })).toBe(1);
    expect((await metrics.scrape()).body).not.toMatch(/PROPFIND|MKCALENDAR|M-SEARCH/);
  });

  it('scrape - a route with calls in flight and none ended has no byte or call series yet', async () => {
    const metrics = new ServerMetrics();
    metrics.observer.llmInFlight(CHAT.provider, CHAT.route, 1);
    const text = (await metrics.scrape()).body;
    expect(text).toContain('llm_settings_llm_calls_in_flight{provider="openai",route="/v1/chat/completions"} 1');
    expect(text).not.toMatch(/llm_settings_llm_(calls|request_bytes|response_bytes)_total\{/);
    expect(text).not.toMatch(/llm_settings_view_cache_reads_total\{/);
    expect(text).not.toMatch(/llm_settings_token_cache_reads_total\{/);
  });

  it('scrape - the token cache reads counted since the last scrape add to its totals', async () => {
    const metrics = new ServerMetrics();
    metrics.tokenCacheRead(false);
    metrics.tokenCacheRead(true);
    const first = await scrape(metrics);
    expect([first('llm_settings_token_cache_reads_total', { result: 'miss' }), first('llm_settings_token_cache_reads_total', { result: 'hit' })]).toEqual([1, 1]);
    metrics.tokenCacheRead(true);
    const second = await scrape(metrics);
    expect([second('llm_settings_token_cache_reads_total', { result: 'miss' }), second('llm_settings_token_cache_reads_total', { result: 'hit' })]).toEqual([1, 2]);
  });
});
