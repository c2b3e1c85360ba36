import { collectDefaultMetrics, Counter, Gauge, Registry, type LabelValues } from 'prom-client';
import { ErrorCodes, isLlmSettingsError, type ModelLister, type ProviderProbe, type SettingsStore, type UsageStore } from '@llm-settings/core';
import { statusClassOf, type HttpObserver, type MetricsScrape, type StatusClass } from '@llm-settings/http-koa';
import { PlainHistogram, type HistogramSeries } from './plain-histogram.js';
import { SeriesTable } from './series-table.js';

/** Every metric name starts with it. */
export const METRIC_PREFIX = 'llm_settings_';

/** Seconds, from a cached settings read (under a millisecond) to a long completion (ten minutes). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * The store's failures (its expected refusals, a version conflict or a failed
 * precondition, are answers, not errors); any other error counts as `unknown`.
 */
const STORE_ERROR_CODES: ReadonlySet<string> = new Set([ErrorCodes.STORAGE_UNAVAILABLE, ErrorCodes.SETTINGS_CORRUPTED, ErrorCodes.INTERNAL]);
const REFUSALS: ReadonlySet<string> = new Set([ErrorCodes.SETTINGS_CONFLICT, ErrorCodes.SETTINGS_PRECONDITION_FAILED]);

/** The route label of a request no route matched: its path is the caller's, never a label. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * The methods counted under their own name; any other (PROPFIND, M-SEARCH, … Node parses
 * 35) is `_OTHER`, as OpenTelemetry counts them, so that callers cannot multiply the series.
 */
const COUNTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
const OTHER_METHOD = '_OTHER';

/**
 * The operator's metrics, on their own prom-client registry (not the global one, so that
 * an embedding app's metrics and several instances in one process do not collide).
 * Label values come from fixed sets only: route templates, methods, provider ids, status
 * classes and outcome codes; never a scope, a key, a token, a model or a path.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private defaultMetricsOn = false;

  private readonly httpRequests = this.counter('http_requests_total', 'HTTP requests answered, by route template, method and status class.', ['route', 'method', 'status_class'], () => {
    for (const series of this.requestSeries.values()) series.flush(this.httpRequests);
  });
  private readonly httpDuration = this.histogram('http_request_duration_seconds', 'Time to answer a request, a streamed answer to its end.', ['route', 'method']);
  private readonly llmCalls = this.counter('llm_calls_total', 'Pass-through calls admitted, by provider, route and upstream status class (none: no answer).', ['provider', 'route', 'upstream_status_class'], () => {
    for (const series of this.llmSeries.values()) series.flushCalls(this.llmCalls);
  });
  private readonly llmUpstreamDuration = this.histogram('llm_upstream_duration_seconds', "Time from sending a pass-through call to the provider's answer headers.", ['provider', 'route']);
  private readonly llmFirstByte = this.histogram('llm_stream_first_byte_seconds', "Time from sending a streamed pass-through call to the first bytes of its stream.", ['provider', 'route']);
  private readonly llmBytesIn = this.counter('llm_request_bytes_total', 'Request body bytes sent to the providers.', ['provider', 'route'], () => {
    for (const series of this.llmSeries.values()) series.flushBytes('in', this.llmBytesIn);
  });
  private readonly llmBytesOut = this.counter('llm_response_bytes_total', 'Answer body bytes passed on to the callers.', ['provider', 'route'], () => {
    for (const series of this.llmSeries.values()) series.flushBytes('out', this.llmBytesOut);
  });
  private readonly llmInFlight = new Gauge({
    name: `${METRIC_PREFIX}llm_calls_in_flight`,
    help: 'Pass-through calls in flight.',
    labelNames: ['provider', 'route'],
    registers: [this.registry],
    collect: () => {
      for (const series of this.llmSeries.values()) this.llmInFlight.set(series.labels, series.inFlight);
    },
  });
  private readonly llmRefused = this.counter('llm_calls_refused_total', 'Pass-through calls refused by the in-flight limits (429).', ['provider', 'route']);
  private readonly probes = this.counter('provider_tests_total', 'Provider tests (key checks), by provider and outcome code.', ['provider', 'outcome']);
  private readonly modelLists = this.counter('model_lists_total', 'Live model lists asked of the providers, by provider and outcome code.', ['provider', 'outcome']);
  private readonly viewCacheReads = this.counter('view_cache_reads_total', 'Reads of the settings views, served from the cache (hit) or from the store (miss).', ['result'], () => {
    for (const result of ['hit', 'miss'] as const) {
      if (this.viewCacheCounts[result] > 0) this.viewCacheReads.inc({ result }, this.viewCacheCounts[result]);
      this.viewCacheCounts[result] = 0;
    }
  });
  private readonly tokenCache = new CacheReads();
  private readonly tokenCacheReads: Counter<'result'> = this.counter('token_cache_reads_total', 'Reads of the verified scoped tokens, served from the cache (hit) or verified in full (miss).', ['result'], () =>
    this.tokenCache.flush(this.tokenCacheReads),
  );
  private readonly changeEvents = this.counter(
    'change_feed_events_total',
    "The store's change feed: this process's writes (local), other processes' (remote), and remote changes of unknown keys (feed_gap: the feed started, PostgreSQL's feed interrupted or resumed, SQLite's other connections' commits).",
    ['kind'],
  );
  private readonly changeFeedReconnects = this.counter('change_feed_reconnects_total', "Reconnects of PostgreSQL's feed of remote changes after it failed or dropped.", []);
  private readonly storeErrors = this.counter('store_errors_total', 'Failed store reads and writes, by operation and error code.', ['operation', 'code']);

  /** The series of each route and method seen (bounded: every label comes from a fixed set). */
  private readonly requestSeries = new SeriesTable((route, method) => new RequestSeries({ route, method }, this.httpDuration.labels({ route, method })));

  /**
   * The pass-through's series of each provider and route seen (bounded: both come from
   * fixed sets). Its counts and the calls in flight are plain numbers on the call's path,
   * handed to prom-client when it collects (a scrape): each labelled update hashes its
   * labels, and a call made seven of them.
   */
  private readonly llmSeries = new SeriesTable((provider, route) => {
    const labels = { provider, route };
    return new LlmCallSeries(labels, this.llmUpstreamDuration.labels(labels), this.llmFirstByte.labels(labels));
  });

  /** The HTTP app's observer: what it reports, counted. */
  readonly observer: HttpObserver = {
    requestEnded: ({ route, method, status, seconds }) => {
      const series = this.requestSeries.get(route ?? UNMATCHED_ROUTE, COUNTED_METHODS.has(method) ? method : OTHER_METHOD);
      series.answered(statusClassOf(status));
      series.duration.observe(seconds);
    },
    llmInFlight: (provider, route, delta) => {
      this.llmSeries.get(provider, route).inFlight += delta;
    },
    llmRefused: (provider, route) => this.llmRefused.inc({ provider, route }),
    llmCallEnded: ({ provider, route, upstreamStatus, upstreamSeconds, firstByteSeconds, bytesIn, bytesOut }) => {
      const series = this.llmSeries.get(provider, route);
      series.ended(statusClassOf(upstreamStatus), bytesIn, bytesOut);
      if (upstreamSeconds !== null) series.upstreamDuration.observe(upstreamSeconds);
      if (firstByteSeconds !== null) series.firstByte.observe(firstByteSeconds);
    },
  };

  /** The view cache reads since the last collection: a read is on every request's path. */
  private readonly viewCacheCounts = { hit: 0, miss: 0 };

  /** Counts one read of the view cache (the service's `viewCache.onRead`). */
  readonly viewCacheRead = (hit: boolean): void => {
    this.viewCacheCounts[hit ? 'hit' : 'miss'] += 1;
  };

  /** Counts one read of the verified-token cache (the token verifier's `verifiedCacheOnRead`). */
  readonly tokenCacheRead = this.tokenCache.read;

  /** Counts one reconnect of the store's change feed (the store's `onRemoteFeedResumed`). */
  readonly changeFeedResumed = (): void => this.changeFeedReconnects.inc();

  /** Adds the process metrics (CPU, memory, event loop lag, GC), once: for a serving process. */
  collectProcessMetrics(): void {
    if (this.defaultMetricsOn) return;
    this.defaultMetricsOn = true;
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  /** The registry in the Prometheus text format. */
  async scrape(): Promise<MetricsScrape> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The probe, its outcomes counted by code (`busy` when refused by its in-flight limit). */
  observeProbe(probe: ProviderProbe): ProviderProbe {
    return { probe: (request) => this.counted(this.probes, request.provider, () => probe.probe(request)) };
  }

  /** The model lister, its outcomes counted by code. */
  observeModelLister(lister: ModelLister): ModelLister {
    return { listModels: (request) => this.counted(this.modelLists, request.provider, () => lister.listModels(request)) };
  }

  /**
   * The store, the failures of its reads and writes counted by operation and code, and its
   * change feed's events by kind (one subscription of its own, ended by `close()`).
   */
  observeStore(store: SettingsStore): SettingsStore {
    store.watch(({ key, origin }) => this.changeEvents.inc({ kind: key === null ? 'feed_gap' : origin }));
    return {
      get: this.storeCall('get', (key) => store.get(key)),
      set: this.storeCall('set', (key, value, options) => store.set(key, value, options)),
      setMany: this.storeCall('setMany', (writes) => store.setMany(writes)),
      delete: this.storeCall('delete', (key, options) => store.delete(key, options)),
      readHistory: this.storeCall('readHistory', (query) => store.readHistory(query)),
      pruneHistory: this.storeCall('pruneHistory', (cutoff) => store.pruneHistory(cutoff)),
      list: () => store.list(),
      watch: (listener) => store.watch(listener),
      close: () => store.close(),
    };
  }

  /** The usage store, the failures of its writes (each flush), reads and prunes counted as the settings store's are. */
  observeUsageStore(store: UsageStore): UsageStore {
    return {
      add: this.storeCall('addUsage', (entries) => store.add(entries)),
      read: this.storeCall('readUsage', (query) => store.read(query)),
      prune: this.storeCall('pruneUsage', (before) => store.prune(before)),
    };
  }

  /** `call`, its failures counted under `operation` by code (its expected refusals are not failures). */
  private storeCall<A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      try {
        return await call(...args);
      } catch (error) {
        const code = isLlmSettingsError(error) ? error.code : 'unknown';
        if (!REFUSALS.has(code)) this.storeErrors.inc({ operation, code: STORE_ERROR_CODES.has(code) ? code : 'unknown' });
        throw error;
      }
    };
  }

  private async counted<T extends { code: string }>(counter: Counter<'provider' | 'outcome'>, provider: string, call: () => Promise<T>): Promise<T> {
    try {
      const outcome = await call();
      counter.inc({ provider, outcome: outcome.code });
      return outcome;
    } catch (error) {
      // Our errors carry a stable code from a fixed list; anything else is counted as `error`.
      counter.inc({ provider, outcome: isLlmSettingsError(error) ? error.code : 'error' });
      throw error;
    }
  }

  /** `collect`: called by prom-client before it reads the counter (a scrape). */
  private counter<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: () => void): Counter<L> {
    return new Counter({ name: `${METRIC_PREFIX}${name}`, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): PlainHistogram<L> {
    return new PlainHistogram(`${METRIC_PREFIX}${name}`, help, labelNames, LATENCY_BUCKETS, this.registry);
  }
}

/** A cache's reads since the last collection, as plain numbers: a read is on every request's path. */
class CacheReads {
  private readonly counts = { hit: 0, miss: 0 };

  readonly read = (hit: boolean): void => {
    this.counts[hit ? 'hit' : 'miss'] += 1;
  };

  flush(counter: Counter<'result'>): void {
    for (const result of ['hit', 'miss'] as const) {
      if (this.counts[result] > 0) counter.inc({ result }, this.counts[result]);
      this.counts[result] = 0;
    }
  }
}

/** Counts by status class since the last collection, which `flush` adds to a counter. */
class StatusClassCounts {
  private readonly counts = new Map<StatusClass, number>();

  add(statusClass: StatusClass): void {
    this.counts.set(statusClass, (this.counts.get(statusClass) ?? 0) + 1);
  }

  /** Adds each class's count to `counter`, under `labels` and the class as `classLabel`, and starts again from zero. */
  flush<L extends string>(counter: Counter<L>, labels: Readonly<Record<string, string>>, classLabel: L): void {
    for (const [statusClass, count] of this.counts) counter.inc({ ...labels, [classLabel]: statusClass } as LabelValues<L>, count);
    this.counts.clear();
  }
}

/** One route's and method's requests counted by status class since the last collection, and its duration histogram's series, bound once. */
class RequestSeries {
  private readonly requests = new StatusClassCounts();

  constructor(
    private readonly labels: { route: string; method: string },
    readonly duration: HistogramSeries,
  ) {}

  answered(statusClass: StatusClass): void {
    this.requests.add(statusClass);
  }

  flush(counter: Counter<'route' | 'method' | 'status_class'>): void {
    this.requests.flush(counter, this.labels, 'status_class');
  }
}

type LlmLabels = { provider: string; route: string };

/**
 * One provider route's pass-through measures: the calls in flight, and the counts since
 * the last collection, which `flush*` adds to the counters, and its duration histograms'
 * series, bound once.
 */
class LlmCallSeries {
  inFlight = 0;
  private readonly calls = new StatusClassCounts();
  /** Whether a call ended: its byte series exist from then on, even at zero bytes. */
  private anyEnded = false;
  private readonly bytes = { in: 0, out: 0 };

  constructor(
    readonly labels: LlmLabels,
    readonly upstreamDuration: HistogramSeries,
    readonly firstByte: HistogramSeries,
  ) {}

  ended(statusClass: StatusClass, bytesIn: number, bytesOut: number): void {
    this.calls.add(statusClass);
    this.anyEnded = true;
    this.bytes.in += bytesIn;
    this.bytes.out += bytesOut;
  }

  flushCalls(counter: Counter<'provider' | 'route' | 'upstream_status_class'>): void {
    this.calls.flush(counter, this.labels, 'upstream_status_class');
  }

  flushBytes(direction: 'in' | 'out', counter: Counter<'provider' | 'route'>): void {
    if (this.anyEnded) counter.inc(this.labels, this.bytes[direction]);
    this.bytes[direction] = 0;
  }
}
