import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PlainHistogram } from '../src/plain-histogram.js';
import { parseScrape } from './support/prometheus.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.25, 600];
const GET = { route: '/api/settings/llm', method: 'GET' };
const PUT = { route: '/api/settings/llm', method: 'PUT' };

describe('PlainHistogram', () => {
  it('scrape - after known observations, each cumulative bucket, +Inf, the sum and the count are those of the values', async () => {
    const registry = new Registry();
    const histogram = new PlainHistogram('duration_seconds', 'Durations.', ['route', 'method'], BUCKETS, registry);
    const get = histogram.labels(GET);
    // On a bound (counted in it), inside, between, and above the last bound (only in +Inf).
    for (const seconds of [0.0005, 0.001, 0.003, 0.2, 0.2, 700]) get.observe(seconds);
    // The same labels bound again are the same series.
    histogram.labels({ method: 'GET', route: '/api/settings/llm' }).observe(0.02);
    histogram.labels(PUT).observe(0.004);

    const samples = parseScrape(await registry.metrics()).get('duration_seconds')!.samples;
    const sample = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    const buckets = ['0.001', '0.005', '0.01', '0.25', '600', '+Inf'].map((le) => sample('duration_seconds_bucket', { le, ...GET }));
    expect(buckets).toEqual([2, 3, 3, 6, 6, 7]);
    expect(sample('duration_seconds_count', GET)).toBe(7);
    expect(sample('duration_seconds_sum', GET)).toBeCloseTo(0.0005 + 0.001 + 0.003 + 0.2 + 0.2 + 700 + 0.02, 12);
    expect(sample('duration_seconds_bucket', { le: '0.005', ...PUT })).toBe(1);
    expect(sample('duration_seconds_count', PUT)).toBe(1);
    expect(samples.filter((s) => s.name === 'duration_seconds_count')).toHaveLength(2);
  });

  it("scrape - the text is prom-client's own histogram's for the same observations", async () => {
    const observations: [typeof GET, number][] = [
      [GET, 0.0004],
      [GET, 0.005],
      [PUT, 0.3],
      [GET, 1200],
      [PUT, 0.012],
      [{ route: 'a "quoted"\\route', method: 'GET' }, 0.07],
    ];
    const promClient = new Registry();
    const reference = new Histogram({ name: 'duration_seconds', help: 'Durations, "quoted".', labelNames: ['route', 'method'], buckets: BUCKETS, registers: [promClient] });
    const plain = new Registry();
    const histogram = new PlainHistogram('duration_seconds', 'Durations, "quoted".', ['route', 'method'], BUCKETS, plain);
    for (const [labels, seconds] of observations) {
      reference.labels(labels).observe(seconds);
      histogram.labels(labels).observe(seconds);
    }
    expect(await plain.metrics()).toBe(await promClient.metrics());
  });

  it('observe - a value that is not a finite number is refused, as prom-client refuses it, and leaves the series as it was', async () => {
    const registry = new Registry();
    const series = new PlainHistogram('duration_seconds', 'Durations.', ['route', 'method'], BUCKETS, registry).labels(GET);
    series.observe(0.002);
    expect(() => series.observe(Number.NaN)).toThrow(TypeError);
    expect(() => series.observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    const samples = parseScrape(await registry.metrics()).get('duration_seconds')!.samples;
    expect(samples.find((s) => s.name === 'duration_seconds_count')?.value).toBe(1);
    expect(samples.find((s) => s.name === 'duration_seconds_sum')?.value).toBe(0.002);
  });
});
