// `pnpm bench`: every benchmark, each reported against a baseline or target measured in
// the same run on the same machine. Prints a table and writes bench/results.json.
// Benchmarks are not tests: nothing here fails on a slow figure; the targets are printed
// beside the figures. Needs a build (`pnpm build`) and PostgreSQL on 127.0.0.1:5432.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { runFernetBench } from '../packages/crypto-fernet/bench/fernet.bench.mjs';
import { runProbeBench } from '../packages/provider-probe/bench/probe.bench.mjs';
import { runHttpBench, runMetricsBench } from './http.bench.mjs';
import { runKeyEchoBench, runProxyBench } from './proxy.bench.mjs';
import { runResolveBench } from './resolve.bench.mjs';
import { runTracingBench } from './tracing.bench.mjs';
import { runScopesBench } from './scopes.bench.mjs';
import { runScopedGetBench, runVerifyBench } from './scoped-tokens.bench.mjs';
import { runColdStartBench } from './startup-memory.bench.mjs';
import { runRssBench } from './rss.bench.mjs';
import { runTestRouteBench } from './test-route.bench.mjs';

const KINDS = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const rows = [];
/** `met` null: a row that explains another one, with no target of its own. */
const add = (name, value, baseline, ratio, target, met) => rows.push({ name, value, baseline, ratio, target, met: met === null ? '-' : met ? 'yes' : 'NO' });
const section = async (title, run) => {
  const started = performance.now();
  process.stderr.write(`bench: ${title}...`);
  const result = await run();
  process.stderr.write(` ${Math.round((performance.now() - started) / 1000)} s\n`);
  return result;
};

const startedAt = new Date();
const loadBefore = loadavg();

const http = await section('GET and PUT against bare Koa', () => runHttpBench());
const metrics = await section('GET with /metrics on and off', () => runMetricsBench());
add(
  'GET /api/settings/llm, SQLite, LOG_LEVEL=silent, METRICS=1 (default; scraped every second)',
  `${metrics.servers['metrics-on'].requests_per_s} req/s`,
  `METRICS=0 ${metrics.servers['metrics-off'].requests_per_s} req/s`,
  `${metrics.ratio}x`,
  '>= 0.95x',
  metrics.ratio >= 0.95,
);
// Tracing without an SDK: its calls per request beside the server CPU of a cached GET.
const tracing = await section('tracing without an SDK', () => runTracingBench());
const getCpuNs = http.sqlite.GET.servers['llm-settings-silent'].server_cpu_us_per_request * 1000;
add(
  'tracing per request, no OpenTelemetry SDK registered',
  `${tracing.request_ns} ns (+${tracing.upstream_call_ns} ns per pass-through call)`,
  `GET server CPU ${Math.round(getCpuNs / 1000)} µs`,
  `${Math.round((tracing.request_ns / getCpuNs) * 1000) / 10} %`,
  '< 1 %',
  tracing.request_ns / getCpuNs < 0.01,
);
const METHODS = { GET: 'GET /api/settings/llm', PUT: 'PUT /api/settings/llm', PUT_SCOPES: 'PUT /api/settings/llm over 100 scopes' };
for (const [method, label] of Object.entries(METHODS)) {
  for (const kind of Object.keys(KINDS)) {
    const figures = http[kind][method];
    const bare = figures.servers['bare-koa'];
    for (const level of ['info', 'silent']) {
      const ours = figures.servers[`llm-settings-${level}`];
      const ratio = figures[`ratio_${level}`];
      add(
        `${label}, ${KINDS[kind]}, LOG_LEVEL=${level}${level === 'info' ? ' (default)' : ''}`,
        `${ours.requests_per_s} req/s`,
        `bare Koa ${bare.requests_per_s} req/s`,
        `${ratio}x`,
        // GET's target is against the same stack (below); bare Koa is its context.
        method === 'GET' ? '(context)' : '>= 0.8x',
        method === 'GET' ? null : ratio >= 0.8,
      );
      // The same stack answering the same bytes: Koa, @koa/router, the five headers, pino at
      // the same level; fresh pairs, the median of their ratios.
      const pair = figures.against_stack?.[level];
      if (pair) {
        add(
          `${label}, ${KINDS[kind]}, LOG_LEVEL=${level}, against the same Koa stack (${pair.starts.length} starts: ${pair.starts.map((start) => start.ratio).join(', ')})`,
          `${pair.service.requests_per_s} req/s`,
          `Koa + @koa/router + headers + pino ${pair.stack.requests_per_s} req/s`,
          `${pair.ratio}x`,
          '>= 0.9x',
          pair.ratio >= 0.9,
        );
      }
    }
    // Ten providers enabled against the default two, same log level, rounds interleaved.
    const ten = figures.servers['llm-settings-ten-providers'];
    add(
      `${label}, ${KINDS[kind]}, ten providers enabled`,
      `${ten.requests_per_s} req/s`,
      `two providers ${figures.servers['llm-settings-info'].requests_per_s} req/s`,
      `${figures.ratio_ten_providers}x`,
      '>= 0.95x (noise)',
      figures.ratio_ten_providers >= 0.95,
    );
    // On PostgreSQL, PUT against a bare app that also NOTIFYs, as the service does.
    const bareNotify = figures.servers['bare-koa-notify'];
    if (bareNotify) {
      for (const level of ['info', 'silent']) {
        add(
          `${label}, ${KINDS[kind]}, LOG_LEVEL=${level}, against bare Koa + NOTIFY`,
          `${figures.servers[`llm-settings-${level}`].requests_per_s} req/s`,
          `bare Koa + NOTIFY ${bareNotify.requests_per_s} req/s`,
          `${figures[`ratio_${level}_vs_notify`]}x`,
          '(context)',
          null,
        );
      }
    }
  }
}

const fernet = await section('Fernet against python3 cryptography', () => runFernetBench());
for (const op of ['encrypt', 'decrypt']) {
  const r = fernet[op];
  add(`Fernet ${op} (300-byte JSON)`, `${r.node_ops_s} ops/s`, `python cryptography ${r.python_ops_s} ops/s`, `${r.ratio}x`, '>= 1.3x', r.ratio >= 1.3);
}
add(
  'Fernet decrypt of a token opened before (MAC checked once)',
  `${fernet.decrypt_again.node_ops_s} ops/s`,
  `python cryptography ${fernet.decrypt_again.python_ops_s} ops/s`,
  `${fernet.decrypt_again.ratio}x`,
  '(context)',
  null,
);

const testRoute = await section('POST /api/settings/llm/test against the SDK', () => runTestRouteBench());
for (const kind of Object.keys(KINDS)) {
  const r = testRoute[kind];
  add(`POST /api/settings/llm/test, ${KINDS[kind]} (median)`, `${r.route_median_ms} ms`, `SDK models.retrieve ${r.sdk_median_ms} ms`, `+${r.overhead_ms} ms`, '<= +5 ms', r.overhead_ms <= 5);
}
const probe = await section('probe adapter against the SDK, in process', () => runProbeBench());
add('probe adapter alone, in process (median)', `${probe.probe_median_ms} ms`, `SDK direct ${probe.sdk_median_ms} ms`, `+${probe.overhead_ms} ms`, '<= +5 ms', probe.overhead_ms <= 5);

const resolved = await section('resolve() in process, warm', () => runResolveBench());
add('resolve() warm, SQLite (median of single calls)', `${resolved.median_us} µs`, `p99 ${resolved.p99_us} µs`, '-', '< 20 µs', resolved.median_us < 20);
add('resolve() warm, one after another on one thread', `${resolved.calls_per_s} calls/s`, '-', '-', '>= 50,000 calls/s', resolved.calls_per_s >= 50_000);

const proxy = await section('LLM pass-through against the fake provider directly', () => runProxyBench());
const { chat_at_rate: proxyAtRate, chat_saturated: proxySaturated, stream_events: proxyEvents, memory: proxyMemory } = proxy;
add(
  `LLM pass-through, chat completion, ${proxyAtRate.rate_per_s} calls/s at random over 50 connections (median)`,
  `${proxyAtRate.proxied_p50_ms} ms`,
  `direct ${proxyAtRate.direct_p50_ms} ms (fake in this process ${proxyAtRate.direct_in_process_p50_ms} ms, +${proxyAtRate.overhead_in_process_ms} ms)`,
  `${proxyAtRate.overhead_ms >= 0 ? '+' : ''}${proxyAtRate.overhead_ms} ms`,
  '<= +1 ms',
  proxyAtRate.overhead_ms <= 1,
);
add(
  `LLM pass-through, chat completion, ${proxyAtRate.rate_per_s} calls/s, against a bare Koa pass-through (median)`,
  `${proxyAtRate.proxied_p50_ms} ms`,
  `bare Koa ${proxyAtRate.bare_koa_p50_ms} ms (direct +${proxyAtRate.bare_koa_overhead_ms} ms)`,
  `${proxyAtRate.over_bare_koa_ms >= 0 ? '+' : ''}${proxyAtRate.over_bare_koa_ms} ms`,
  '<= +0.35 ms',
  proxyAtRate.over_bare_koa_ms <= 0.35,
);
add(
  `LLM pass-through, chat completion, ${proxyAtRate.rate_per_s} calls/s, ten providers enabled (median)`,
  `${proxyAtRate.proxied_ten_p50_ms} ms`,
  `two providers ${proxyAtRate.proxied_p50_ms} ms`,
  `${proxyAtRate.ten_over_two_providers_ms >= 0 ? '+' : ''}${proxyAtRate.ten_over_two_providers_ms} ms`,
  '<= +0.1 ms (noise)',
  proxyAtRate.ten_over_two_providers_ms <= 0.1,
);
add(
  'LLM pass-through, chat completion, 50 connections flat out',
  `${proxySaturated.proxied_requests_per_s} req/s, median ${proxySaturated.proxied_p50_ms} ms`,
  `direct ${proxySaturated.direct_requests_per_s} req/s, median ${proxySaturated.direct_p50_ms} ms; bare Koa ${proxySaturated.bare_koa_requests_per_s} req/s`,
  `${Math.round((proxySaturated.proxied_requests_per_s / proxySaturated.direct_requests_per_s) * 100) / 100}x`,
  '(context)',
  null,
);
add(
  `LLM pass-through, streamed events, fake write to client read (p99; p50)`,
  `${proxyEvents.proxied.p99_ms} ms; ${proxyEvents.proxied.p50_ms} ms`,
  `direct ${proxyEvents.direct.p99_ms} ms; ${proxyEvents.direct.p50_ms} ms`,
  `${proxyEvents.overhead_p99_ms >= 0 ? '+' : ''}${proxyEvents.overhead_p99_ms} ms`,
  '<= +5 ms',
  proxyEvents.overhead_p99_ms <= 5,
);
add(
  `LLM pass-through, streamed events, against a bare Koa pass-through (p99; p50)`,
  `${proxyEvents.proxied.p99_ms} ms; ${proxyEvents.proxied.p50_ms} ms`,
  `bare Koa ${proxyEvents.bare_koa.p99_ms} ms; ${proxyEvents.bare_koa.p50_ms} ms (direct +${proxyEvents.bare_koa_overhead_p99_ms} ms)`,
  `${proxyEvents.over_bare_koa_p99_ms >= 0 ? '+' : ''}${proxyEvents.over_bare_koa_p99_ms} ms`,
  '(context)',
  null,
);
add(
  `LLM pass-through, RSS with ${proxyMemory.concurrent_streams} streams at once`,
  `${proxyMemory.peak_mb} MB`,
  `before them ${proxyMemory.before_mb} MB`,
  '-',
  '< 200 MB',
  proxyMemory.peak_mb < 200,
);

const keyEcho = await section('key-echo scrub of pass-through answers', () => runKeyEchoBench());
// A typical call: the scrubber, the headers and a 1 KiB answer; 5% of the pass-through's +1 ms.
const keyEchoTypicalUs = Math.round((keyEcho.per_call_us + keyEcho.answers.json_1kib.scrub_us) * 100) / 100;
add(
  `Key-echo scrub, one call: scrubber from a ${keyEcho.key_length}-character key, 12 headers, a 1 KiB JSON answer`,
  `${keyEchoTypicalUs} µs`,
  `JSON.parse of the answer ${keyEcho.answers.json_1kib.json_parse_us} µs`,
  '-',
  '<= 50 µs',
  keyEchoTypicalUs <= 50,
);
for (const [name, label] of [['json_16kib', '16 KiB'], ['json_256kib', '256 KiB']]) {
  const answer = keyEcho.answers[name];
  add(
    `Key-echo scrub of a ${label} JSON answer (${answer.ns_per_byte} ns/byte)`,
    `${answer.scrub_us} µs`,
    `JSON.parse ${answer.json_parse_us} µs`,
    `${Math.round((answer.scrub_us / answer.json_parse_us) * 100) / 100}x`,
    '(context)',
    null,
  );
}
add(`Key-echo scrub of one streamed event (${keyEcho.event_bytes} bytes)`, `${keyEcho.per_event_us} µs`, '-', '-', '(context)', null);

const coldStart = await section('cold start', () => runColdStartBench());
for (const kind of Object.keys(KINDS)) {
  const r = coldStart[kind];
  add(`cold start of serve to first 200, ${KINDS[kind]} (median)`, `${r.median_ms} ms`, `${r.starts_ms.length} restarts; first start ${r.first_start_ms} ms`, '-', '< 1000 ms', r.median_ms < 1000);
}

const memory = await section('resident memory', () => runRssBench());
add(
  `RSS after 50k / 100k requests (SQLite, LOG_LEVEL=info, 9 GET : 1 PUT over ${memory.scopes} scopes)`,
  `${memory.after_50000_mb} / ${memory.after_100000_mb} MB`,
  `after start ${memory.after_start_mb} MB${memory.failed_requests > 0 ? `; ${memory.failed_requests} answered non-2xx` : ''}`,
  `${memory.growth_mb >= 0 ? '+' : ''}${memory.growth_mb} MB`,
  `< ${memory.target_mb} MB, flat`,
  memory.under_target && memory.after_50000_mb < memory.target_mb && Math.abs(memory.growth_mb) <= 5,
);

const scopes = await section('GET with 1, 1 000 and 100 000 scopes', () => runScopesBench());
for (const kind of Object.keys(KINDS)) {
  const bySize = scopes[kind];
  const sizes = Object.keys(bySize).map(Number);
  const smallest = bySize[Math.min(...sizes)];
  for (const size of sizes) {
    const r = bySize[size];
    // Flat: the p50 at this size is within 1.5x (or 0.2 ms) of the p50 with one scope.
    const flat = r.http.p50_ms <= Math.max(smallest.http.p50_ms * 1.5, smallest.http.p50_ms + 0.2);
    add(
      `GET latency, ${size.toLocaleString('en')} scope${size === 1 ? '' : 's'}, ${KINDS[kind]}`,
      `p50 ${r.http.p50_ms} ms, p99 ${r.http.p99_ms} ms`,
      `store.get p50 ${r.store_get.p50_ms} ms, p99 ${r.store_get.p99_ms} ms`,
      '-',
      'flat',
      flat,
    );
  }
}

const scopedGet = await section('GET with a scoped token and with the admin token', () => runScopedGetBench());
add(
  'GET /api/settings/llm with a minted scoped token, SQLite, LOG_LEVEL=silent',
  `${scopedGet.scoped_requests_per_s} req/s`,
  `admin token ${scopedGet.admin_requests_per_s} req/s`,
  `${scopedGet.ratio}x (rounds ${scopedGet.ratio_spread.join('-')})`,
  '>= 0.9x',
  scopedGet.ratio >= 0.9,
);
const verify = await section('scoped token verification in process', () => runVerifyBench());
for (const [name, figures] of Object.entries(verify)) {
  // Uncached: a token's first request (every request without the verified-token cache), for context.
  const uncached = name.endsWith('_uncached');
  add(`verify one scoped token (${name.replaceAll('_', ' ')}), key set cached`, `median ${figures.median_us} µs`, '-', '-', uncached ? '(context)' : '<= 30 µs', uncached ? null : figures.median_us <= 30);
}

const machine = {
  cpu_model: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
  memory_gb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  load_average_before: loadBefore.map((l) => Math.round(l * 100) / 100),
  load_average_after: loadavg().map((l) => Math.round(l * 100) / 100),
};
const durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
console.table(rows);
console.log(`machine: ${machine.cpus} x ${machine.cpu_model}, ${machine.memory_gb} GB, Node ${machine.node}; load average ${machine.load_average_before[0]} before, ${machine.load_average_after[0]} after; ${durationS} s`);
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ measured_at: startedAt.toISOString(), duration_s: durationS, machine, rows, http, metrics, tracing, fernet, test_route: testRoute, probe, resolve: resolved, proxy, key_echo: keyEcho, cold_start: coldStart, memory, scopes, scoped_get: scopedGet, verify }, null, 2)}\n`,
);
