// The LLM pass-through (POST /api/llm/...) of the running service against calling the
// fake provider directly, both from this process:
// - non-streaming chat completions over 50 connections: the median latency of calls
//   arriving at random (a Poisson process) at a rate the service sustains, which is what
//   a call costs through the pass-through; and, as context, the throughput when the 50
//   connections send as fast as they can (then the latency is queueing: 50 requests
//   wait in line for whichever side is slower). Both also through a bare Koa app that
//   forwards the call and nothing else (bench/bare-koa.mjs), the cost of the hop itself.
//   The fake provider answering these runs in a process of its own, as its bin runs it
//   and as a real provider is another process than its caller: a direct call then
//   crosses between processes once each way, as a real one does, and the pass-through
//   adds one such hop. As context, `direct_in_process`: the same call to a fake in this
//   process, which crosses none (so the pass-through's figure over it counts two hops);
// - streamed messages: how long each event takes from the fake's write to the client,
//   through the pass-through, through the bare Koa app (which sets the provider's answer
//   as its body and nothing else) and directly (the fake runs in this process, so its
//   writes are timestamped on the same clock as the client's reads): 1,200 streams per
//   target, ten at a time, in six rounds of rotating order (with 300 in two halves, the
//   p99 moved by several ms from run to run);
// - 200 streams at once through the pass-through: the service's resident memory;
// - the key-echo scrub that every answer goes through (runKeyEchoBench, in this process,
//   `node bench/proxy.bench.mjs --key-echo` alone): its cost per call and per answer size.
// The chat figures are also taken through a second instance with all ten built-in
// providers enabled (`proxied_ten`): the number of providers must cost nothing per call.
// The service runs as `pnpm start` runs it (LOG_LEVEL=info, one line per call), counting
// every call's usage per scope (USAGE_FLUSH_MS, on in every server): the figures include it.
// Its own cost, against an app without it, is counted with callgrind in docs/performance.md.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { ANTHROPIC_KEY, OPENAI_KEY, TEN_PROVIDERS_ENV, createDatabase, dist, median, quantile, round, rssMb, startBareKoa, startFakeProviderProcess, startLlmSettings, withLogDir } from './support.mjs';

const OPENAI_SCOPE = 'bench-openai';
const ANTHROPIC_SCOPE = 'bench-anthropic';
const CHAT_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }] });
const MESSAGES_BODY = JSON.stringify({ model: 'claude-sonnet-4-20250514', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say hello.' }] });

async function putScoped(url, scope, settings) {
  const response = await fetch(`${url}/api/settings/llm`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'llm-settings-scope': scope },
    body: JSON.stringify(settings),
  });
  if (response.status !== 200) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
}

/** One POST; resolves with its latency in milliseconds, from the request to the last byte of the answer. */
function timedPost(agent, { url, headers }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${url} answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(CHAT_BODY);
  });
}

/**
 * Open-loop load: calls start at random, exponential intervals (a Poisson process of
 * `rate` per second) whatever the answers do, over at most `connections` keep-alive
 * connections, for `durationS`. @returns the latency of every call, in milliseconds.
 */
export async function poissonLoad(target, { rate, connections, durationS }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const calls = [];
  const end = performance.now() + durationS * 1000;
  try {
    for (let next = performance.now(); next < end; next += (-Math.log(1 - Math.random()) * 1000) / rate) {
      const wait = next - performance.now();
      if (wait >= 1) await sleep(wait);
      calls.push(timedPost(agent, target).then((ms) => latencies.push(ms)));
    }
    await Promise.all(calls);
  } finally {
    agent.destroy();
  }
  return latencies;
}

/** Closed-loop load: 50 connections, each sending its next request when the last is answered. @returns requests/s and the median latency. */
async function saturatedLoad({ url, headers }, durationS) {
  const result = await autocannon({ url, headers, method: 'POST', body: CHAT_BODY, connections: 50, duration: durationS });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${url}: ${failed} failed requests (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { requestsPerS: result.requests.total / result.duration, p50: result.latency.p50 };
}

/**
 * Runs `measure` on each target in turn, `rounds` times, the order rotating, after a
 * warm-up of each when `warmUp` is given. @returns each target's results, one per round:
 * the chat figures are medians over the rounds, with differences taken within each
 * round; the event delays of all rounds are pooled.
 */
async function compare(targets, rounds, measure, warmUp) {
  if (warmUp) for (const target of targets) await warmUp(target);
  const figures = Object.fromEntries(targets.map((target) => [target.name, []]));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < targets.length; j++) {
      const target = targets[(i + j) % targets.length];
      figures[target.name].push(await measure(target));
    }
  }
  return figures;
}

async function chatAtRate(targets, { rate, connections, durationS, rounds }) {
  const medians = await compare(
    targets,
    rounds,
    async (target) => median(await poissonLoad(target, { rate, connections, durationS })),
    (target) => poissonLoad(target, { rate, connections, durationS: 1 }),
  );
  const difference = (name, baseline) => round(median(medians[name].map((value, i) => value - medians[baseline][i])), 3);
  return {
    direct_p50_ms: round(median(medians.direct), 3),
    bare_koa_p50_ms: round(median(medians.bare_koa), 3),
    proxied_p50_ms: round(median(medians.proxied), 3),
    overhead_ms: difference('proxied', 'direct'),
    bare_koa_overhead_ms: difference('bare_koa', 'direct'),
    over_bare_koa_ms: difference('proxied', 'bare_koa'),
    direct_in_process_p50_ms: round(median(medians.direct_in_process), 3),
    overhead_in_process_ms: difference('proxied', 'direct_in_process'),
    ...(medians.proxied_ten ? { proxied_ten_p50_ms: round(median(medians.proxied_ten), 3), ten_over_two_providers_ms: difference('proxied_ten', 'proxied') } : {}),
  };
}

async function chatSaturated(targets, { durationS, rounds }) {
  const runs = await compare(targets, rounds, (target) => saturatedLoad(target, durationS), (target) => saturatedLoad(target, 1));
  const of = (name, field) => median(runs[name].map((run) => run[field]));
  return Object.fromEntries(
    targets.flatMap(({ name }) => [
      [`${name}_requests_per_s`, Math.round(of(name, 'requestsPerS'))],
      [`${name}_p50_ms`, of(name, 'p50')],
    ]),
  );
}

/**
 * Timestamps the fake's event writes by patching ServerResponse in this process (only
 * the fake serves from it): the write times of each answer, by its `request-id`.
 */
function recordFakeWrites() {
  const { writeHead, write } = http.ServerResponse.prototype;
  const idOf = new WeakMap();
  const writes = new Map();
  http.ServerResponse.prototype.writeHead = function (status, ...rest) {
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null);
    if (headers?.['request-id']) idOf.set(this, headers['request-id']);
    return writeHead.call(this, status, ...rest);
  };
  http.ServerResponse.prototype.write = function (...args) {
    const id = idOf.get(this);
    if (id !== undefined) (writes.get(id) ?? writes.set(id, []).get(id)).push(performance.now());
    return write.apply(this, args);
  };
  return {
    writes,
    restore() {
      Object.assign(http.ServerResponse.prototype, { writeHead, write });
    },
  };
}

/** One streamed message; resolves with its request id and the time each event was read whole. */
function streamMessage(agent, { url, headers }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url} answered ${res.statusCode}`));
        return;
      }
      const reads = [];
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const now = performance.now();
        pending += chunk;
        const events = pending.split('\n\n');
        pending = events.pop();
        for (let i = 0; i < events.length; i++) reads.push(now);
      });
      res.on('end', () => resolve({ id: res.headers['request-id'], reads }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(MESSAGES_BODY);
  });
}

/**
 * `count` streams, `concurrency` at a time, each worker starting its next stream when
 * its last one ends (the workers start a few milliseconds apart, so that streams do not
 * all begin together). @returns the delay of every event: read time − the fake's write time.
 */
async function eventDelays(agent, target, recorder, { count, concurrency }) {
  const delays = [];
  const worker = async (index) => {
    await sleep(index);
    for (let i = index; i < count; i += concurrency) {
      const { id, reads } = await streamMessage(agent, target);
      const writes = recorder.writes.get(id) ?? [];
      if (writes.length !== reads.length) throw new Error(`stream ${id}: ${writes.length} events written, ${reads.length} read`);
      reads.forEach((read, n) => delays.push(read - writes[n]));
      recorder.writes.delete(id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  return delays;
}

/** The peak resident memory of process `pid` while `run` runs, sampled every 20 ms. */
async function peakRssDuring(pid, run) {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  try {
    await run();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssMb(pid));
}

/**
 * @returns `chat_at_rate` (Poisson arrivals of `rate` calls/s over 50 connections:
 *   medians and the overhead, target at most +1 ms over direct and +0.35 ms over bare Koa;
 *   the overhead over a fake in this process as context), `chat_saturated` (50 connections
 *   flat out: requests/s and medians, context), `stream_events` (event delays, p50 and
 *   p99, and the p99 overhead, target at most +5 ms; the bare Koa app's as context),
 *   `memory` (RSS before and at the peak of `concurrentStreams` streams at once, target
 *   under 200 MB).
 */
export async function runProxyBench({ durationS = 3, rounds = 5, saturatedRounds = 3, rate = 400, streams = 1200, streamRounds = 6, streamConcurrency = 10, streamDelayMs = 10, concurrentStreams = 200 } = {}) {
  const { startFakeProvider } = await dist.fakeProvider();
  const { generateFernetKey } = await dist.fernet();
  // In this process: the streams' event writes are timestamped on the client's clock.
  const fake = await startFakeProvider();
  const provider = await startFakeProviderProcess();
  const database = await createDatabase('sqlite');
  // Keep-alive, as the SDKs do; enough sockets for every stream at once.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrentStreams + streamConcurrency });
  try {
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      const env = {
        ANTHROPIC_BASE_URL: fake.baseUrls.anthropic,
        OPENAI_BASE_URL: provider.baseUrls.openai,
        // The bench measures the proxy's cost, not its limits: its 200 concurrent streams are of one scope.
        PROXY_MAX_IN_FLIGHT: String(concurrentStreams + streamConcurrency + 50),
        PROXY_MAX_IN_FLIGHT_PER_SCOPE: String(concurrentStreams + streamConcurrency + 50),
      };
      const server = await startLlmSettings({ databaseUrl: database.url, encryptionKey, logDir, env });
      let bare;
      let ten;
      try {
        bare = await startBareKoa({
          databaseUrl: database.url,
          encryptionKey,
          openai: { url: `${provider.baseUrls.openai}/chat/completions`, key: OPENAI_KEY },
          anthropic: { url: `${fake.baseUrls.anthropic}/v1/messages`, key: ANTHROPIC_KEY },
          logDir,
        });
        await putScoped(server.url, OPENAI_SCOPE, { provider: 'openai', api_key: OPENAI_KEY });
        await putScoped(server.url, ANTHROPIC_SCOPE, { provider: 'anthropic', api_key: ANTHROPIC_KEY });
        // Same database, so the same stored settings, with every built-in provider enabled.
        ten = await startLlmSettings({ name: 'llm-settings-ten-providers', databaseUrl: database.url, encryptionKey, logDir, env: { ...env, ...TEN_PROVIDERS_ENV } });
        const chatTargets = [
          { name: 'direct', url: `${provider.baseUrls.openai}/chat/completions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${OPENAI_KEY}` } },
          { name: 'direct_in_process', url: `${fake.baseUrls.openai}/chat/completions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${OPENAI_KEY}` } },
          { name: 'bare_koa', url: `${bare.url}/api/llm/openai/v1/chat/completions`, headers: { 'content-type': 'application/json' } },
          { name: 'proxied', url: `${server.url}/api/llm/openai/v1/chat/completions`, headers: { 'content-type': 'application/json', 'llm-settings-scope': OPENAI_SCOPE } },
          { name: 'proxied_ten', url: `${ten.url}/api/llm/openai/v1/chat/completions`, headers: { 'content-type': 'application/json', 'llm-settings-scope': OPENAI_SCOPE } },
        ];
        const atRate = await chatAtRate(chatTargets, { rate, connections: 50, durationS, rounds });
        fake.reset();
        const saturated = await chatSaturated(chatTargets, { durationS, rounds: saturatedRounds });
        fake.reset();

        const messageTargets = {
          direct: { url: `${fake.baseUrls.anthropic}/v1/messages`, headers: { 'x-api-key': ANTHROPIC_KEY } },
          bare_koa: { url: `${bare.url}/api/llm/anthropic/v1/messages`, headers: {} },
          proxied: { url: `${server.url}/api/llm/anthropic/v1/messages`, headers: { 'llm-settings-scope': ANTHROPIC_SCOPE } },
        };
        fake.setStreamDelay(streamDelayMs);
        const recorder = recordFakeWrites();
        let delays;
        try {
          // In rounds, the order rotating, so that all three see the same machine.
          const targets = Object.entries(messageTargets).map(([name, target]) => ({ name, ...target }));
          const measure = (target) => eventDelays(agent, target, recorder, { count: streams / streamRounds, concurrency: streamConcurrency });
          const rounds = await compare(targets, streamRounds, measure);
          delays = Object.fromEntries(Object.entries(rounds).map(([name, perRound]) => [name, perRound.flat()]));
        } finally {
          recorder.restore();
        }
        fake.reset();

        const beforeMb = rssMb(server.pid);
        fake.setStreamDelay(100);
        const peakMb = await peakRssDuring(server.pid, () =>
          Promise.all(Array.from({ length: concurrentStreams }, () => streamMessage(agent, messageTargets.proxied))),
        );
        fake.reset();

        const stat = (values) => ({ p50_ms: round(quantile(values, 0.5), 3), p99_ms: round(quantile(values, 0.99), 3), events: values.length });
        const direct = stat(delays.direct);
        const bareKoa = stat(delays.bare_koa);
        const proxied = stat(delays.proxied);
        return {
          chat_at_rate: { connections: 50, rate_per_s: rate, ...atRate },
          chat_saturated: { connections: 50, ...saturated },
          stream_events: {
            stream_delay_ms: streamDelayMs,
            concurrency: streamConcurrency,
            direct,
            bare_koa: bareKoa,
            proxied,
            overhead_p99_ms: round(proxied.p99_ms - direct.p99_ms, 3),
            bare_koa_overhead_p99_ms: round(bareKoa.p99_ms - direct.p99_ms, 3),
            over_bare_koa_p99_ms: round(proxied.p99_ms - bareKoa.p99_ms, 3),
          },
          memory: { concurrent_streams: concurrentStreams, before_mb: beforeMb, peak_mb: peakMb },
        };
      } finally {
        await server.stop();
        await bare?.stop();
        await ten?.stop();
      }
    });
  } finally {
    agent.destroy();
    await fake.close();
    await provider.stop();
    await database.drop();
  }
}

/** Microseconds per call of `run`: the median of `batches` batches of `perBatch` calls, after a warm-up. */
function microsPerCall(run, { perBatch, batches = 15 }) {
  for (let i = 0; i < perBatch * 3; i++) run();
  const perCall = [];
  for (let b = 0; b < batches; b++) {
    const started = performance.now();
    for (let i = 0; i < perBatch; i++) run();
    perCall.push(((performance.now() - started) * 1000) / perBatch);
  }
  return round(median(perCall), 2);
}

/** A chat completion of about `bytes` bytes, as a provider sends it (compact JSON, prose inside). */
function chatCompletionOf(bytes) {
  const words = 'The quick brown fox jumps over the lazy dog; then it waits... and writes "code" with 3 tests. ';
  const content = words.repeat(Math.ceil(bytes / words.length)).slice(0, Math.max(0, bytes - 300));
  const answer = { id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT', object: 'chat.completion', created: 1741569952, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 } };
  return Buffer.from(JSON.stringify(answer));
}

/**
 * The key-echo scrub of the pass-through, in this process, with a 164-character key:
 * per call (the scrubber built from the key, the caller's text, a provider's 12 passed
 * headers), per whole JSON answer of 1 KiB, 16 KiB and 256 KiB (the largest read whole)
 * against JSON.parse of the same answer (what the client does with it anyway), and per
 * event of a stream. Nothing in these answers is part of the key: the common case.
 */
export async function runKeyEchoBench() {
  const { CallerText, KeyEchoScrubber } = await dist.core();
  const key = `sk-proj-${'Hn4kT9wQz2LmXc7VbR5sYp8DfJg3AeU6tKo1iNq0WxE'.repeat(4).slice(0, 156)}`;
  const request = Buffer.from(CHAT_BODY);
  const headers = {
    'content-type': 'application/json',
    'openai-version': '2020-10-01',
    'openai-processing-ms': '421',
    'x-request-id': 'req_7c2b8a1f0e9d4c3b2a1f0e9d8c7b6a5f',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-remaining-tokens': '29999975',
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-reset-tokens': '0s',
    'retry-after-ms': '0',
    'x-should-retry': 'false',
  };
  const perCall = microsPerCall(
    () => {
      const scrubber = new KeyEchoScrubber(key);
      const caller = new CallerText([request, 'application/json']);
      for (const value of Object.values(headers)) scrubber.scrubText(value, caller);
    },
    { perBatch: 2000 },
  );
  const scrubber = new KeyEchoScrubber(key);
  const caller = new CallerText([request]);
  const answers = {};
  for (const [name, bytes, perBatch] of [['json_1kib', 1024, 2000], ['json_16kib', 16 * 1024, 200], ['json_256kib', 256 * 1024, 10]]) {
    const answer = chatCompletionOf(bytes);
    const scrub_us = microsPerCall(() => scrubber.scrubBytes(answer, caller), { perBatch });
    const json_parse_us = microsPerCall(() => JSON.parse(answer.toString('utf8')), { perBatch });
    answers[name] = { bytes: answer.length, scrub_us, json_parse_us, ns_per_byte: round((scrub_us * 1000) / answer.length, 2) };
  }
  const event = Buffer.from(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello! How can I help you today?' } })}\n\n`);
  const stream = scrubber.stream(caller);
  const perEvent = microsPerCall(() => stream.push(event), { perBatch: 5000 });
  return { key_length: key.length, per_call_us: perCall, per_event_us: perEvent, event_bytes: event.length, answers };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = process.argv.includes('--key-echo') ? await runKeyEchoBench() : await runProxyBench();
  console.log(JSON.stringify(result, null, 2));
}
