import type { Metric, Registry } from 'prom-client';

/** One label set of a histogram, bound once: what a request's or a call's end observes into. */
export interface HistogramSeries {
  /** Counts `value` (seconds) in its bucket, the sum and the count. */
  observe(value: number): void;
}

/** A label set's bucket counts (each bucket its own, not cumulative), sum and count, as plain numbers. */
class PlainSeries implements HistogramSeries {
  /** Per bucket; a value above the last bound is only in `count` (the `+Inf` bucket). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket += 1;
    if (bucket < bounds.length) this.counts[bucket]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/**
 * A Prometheus histogram whose observations are plain number updates on a series bound
 * once: prom-client's `Histogram` validates and hashes the labels on every observation,
 * even through `labels(...)` (about 5,000 instructions a request). prom-client reads it
 * when it collects, through `get()` in its own histogram's format (its registry reads any
 * metric that way, for the text and the JSON), so the scrape is the same text.
 */
export class PlainHistogram<L extends string> {
  readonly type = 'histogram';
  /** How prom-client's cluster registry merges workers' values: added up, as for its own histograms. */
  readonly aggregator = 'sum';
  /** By label values: a label set seen twice is one series. */
  private readonly series = new Map<string, PlainSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // prom-client's types name only its own classes; its registry needs name, help and get().
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of `labels` (bounded: the callers' labels come from fixed sets), created at its first binding. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      series = new PlainSeries({ ...labels }, this.buckets);
      this.series.set(key, series);
    }
    return series;
  }

  /** prom-client's histogram format: each series' cumulative buckets (`le` first), `+Inf`, sum and count. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (const [bucket, bound] of this.buckets.entries()) {
        cumulative += series.counts[bucket]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...series.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
