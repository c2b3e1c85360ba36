// `pnpm bench:instructions`: CPU instructions per cached GET /api/settings/llm, counted by
// valgrind's callgrind in each server's main thread, for the service (LOG_LEVEL=info and
// silent, and silent with METRICS=0), the bare Koa baselines and the same Koa stack
// (bench/koa-stack.mjs) at both levels. Each server warms up with 10,000 requests and a
// 3 s pause, then is counted in three windows of 5,000: its count is the median window.
// The stack's windows agree within 1–2 % once V8 has optimised it (V8 compiles on helper
// threads, which valgrind runs in turn with the main thread: its first window after 10,000
// requests read 5 % high), its medians from run to run within 2 %. The service's windows
// spread 5–35 % and its medians 5–10 % from run to run: work that comes with time, not
// requests (the view cache's store read every 5 s, a major GC, a 503 from the store's pool
// on a loaded machine) weighs more per request as valgrind runs slower. Compare versions with
// two runs each, and with the C++ functions whose count per call is fixed (in `--keep`'s
// files). Throughput moves 10–30 % on this machine. It leaves out the kernel's share (the
// socket write, the same for every server) and is no throughput figure; `pnpm bench`
// measures those. Each server runs under valgrind, two at a time: 15–60 minutes in all,
// with the machine's load. Needs a build and valgrind.
// `--only llm-settings-info,koa-stack-info` counts those servers alone; `--keep <dir>`
// leaves each server's callgrind files there (callgrind.out.<window>-01 is the main
// thread's), for `callgrind_annotate --inclusive=yes`; `--warmup 10000` and
// `--requests 3000` set the warm-up and each window's requests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT, createDatabase, dist, migrate, putSettings, round, startBareKoa, startKoaStack, startLlmSettings, withLogDir } from './support.mjs';

const autocannon = createRequire(join(REPO_ROOT, 'package.json'))('autocannon');
const SETTINGS_PATH = '/api/settings/llm';

/** Counting windows per server: their median is the server's count. */
const WINDOWS = 3;

/**
 * Requests answered by one server, counted by callgrind in `WINDOWS` windows of `requests`
 * each after the warm-up (and a pause, in which V8's compiler threads finish the optimised
 * code the warm-up asked for): the median window, and how far the windows spread.
 * `request`: autocannon's `path`, `method`, `headers` and `body` (GET of the settings by default).
 * `keepDir`: where the callgrind files are left, for callgrind_annotate (default: removed).
 */
export async function countInstructions(start, { warmup, requests, request = { path: SETTINGS_PATH }, keepDir }) {
  const outDir = keepDir ?? mkdtempSync(join(tmpdir(), 'llm-bench-callgrind-'));
  const launcher = {
    command: 'valgrind',
    // Off until the warm-up is done; threads apart, so that the main thread can be read
    // alone (V8 compiles and collects garbage on helper threads too); V8 writes code at
    // run time, which valgrind must check for.
    args: ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${join(outDir, 'callgrind.out')}`],
  };
  // Up to three tries: on a loaded machine, valgrind can slow the store's first connection
  // past its timeout, which ends the start.
  const attempt = () => start({ launcher, readyTimeoutMs: 300_000 });
  const server = await attempt().catch(attempt).catch(attempt);
  try {
    // A long timeout: under valgrind on a loaded machine an answer can take over autocannon's 10 s.
    const { path, ...rest } = request;
    const run = (amount) => autocannon({ url: `${server.url}${path}`, ...rest, connections: 10, amount, timeout: 120 });
    const callgrind = (command) => execFileSync('callgrind_control', [command, String(server.pid)], { stdio: 'ignore' });
    await run(warmup);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const windows = [];
    let failed = 0;
    for (let window = 1; window <= WINDOWS; window += 1) {
      callgrind('--instr=on');
      const result = await run(requests);
      callgrind('--instr=off');
      // Each dump is a file of its own (callgrind.out.<n>-<thread>) and zeroes the counts.
      callgrind('--dump');
      windows.push(mainThreadInstructions(outDir, window) / result.requests.total);
      failed += result.non2xx + result.errors;
      // Under valgrind on a loaded machine, the store's read when a cached view expires (every
      // 5 s) can outwait the connection pool's wait (503), and an upstream keep-alive socket
      // the other end closed answers 502: a few are counted and reported, more end the run.
      if (failed > (WINDOWS * requests) / 100) {
        const failures = readFileSync(server.logFile, 'utf8').split('\n').filter((line) => /"level":[45]0/.test(line)).slice(0, 3);
        throw new Error(`${server.name}: ${failed} failed requests (${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors); logged:\n${failures.join('\n')}`);
      }
    }
    const median = [...windows].sort((a, b) => a - b)[Math.floor(WINDOWS / 2)];
    return { instructions: Math.round(median), windows: windows.map(Math.round), spread: round((Math.max(...windows) - Math.min(...windows)) / median), failed };
  } finally {
    await server.stop();
    if (keepDir === undefined) rmSync(outDir, { recursive: true, force: true });
  }
}

/** The main thread's count in dump `dump`: the largest total of its file for thread 1. */
function mainThreadInstructions(outDir, dump) {
  let total = 0;
  for (const match of readFileSync(join(outDir, `callgrind.out.${dump}-01`), 'utf8').matchAll(/^totals: (\d+)/gm)) total = Math.max(total, Number(match[1]));
  if (total === 0) throw new Error(`no callgrind count for the main thread in dump ${dump} in ${outDir}`);
  return total;
}

/**
 * @param only the names of the servers to count (default: all)
 * @param keepDir where each server's callgrind files are left, in a folder of its name (default: removed)
 * @returns instructions per request of each server, the bare app's count divided by
 *   each one (above 1: fewer instructions than the bare app), the Koa stack's count
 *   divided by the service's at each log level (the GET target: at least 0.9), and the
 *   service's count without metrics over its count with them (target at least 0.95).
 */
export async function runInstructionsBench({ warmup = 10_000, requests = 5_000, only, keepDir } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const database = await createDatabase('sqlite');
  try {
    await migrate(database.url);
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      // The view and ETag the bare apps send: those of the service after the same PUT.
      const probe = await startLlmSettings({ name: 'view', databaseUrl: database.url, encryptionKey, logDir });
      const { view, etag } = await putSettings(probe.url).finally(() => probe.stop());
      const service = (logLevel) => (options) => startLlmSettings({ name: `llm-settings-${logLevel}`, databaseUrl: database.url, encryptionKey, logDir, logLevel, ...options });
      const servers = {
        'bare-koa': (options) => startBareKoa({ databaseUrl: database.url, encryptionKey, logDir, view, ...options }),
        'bare-koa-headers': (options) => startBareKoa({ name: 'bare-koa-headers', databaseUrl: database.url, encryptionKey, logDir, view, etag, ...options }),
        'koa-stack-info': (options) => startKoaStack({ logLevel: 'info', view, etag, logDir, ...options }),
        'koa-stack-silent': (options) => startKoaStack({ logLevel: 'silent', view, etag, logDir, ...options }),
        'llm-settings-info': service('info'),
        'llm-settings-silent': service('silent'),
        // The metrics pair, as `http.bench.mjs --metrics` sets it: silent, METRICS=1 (above) and 0.
        'llm-settings-silent-metrics-off': (options) => service('silent')({ name: 'llm-settings-silent-metrics-off', env: { METRICS: '0' }, ...options }),
      };
      const names = only ?? Object.keys(servers);
      const unknown = names.filter((name) => !(name in servers));
      if (unknown.length > 0) throw new Error(`no server named ${unknown.join(', ')}; known: ${Object.keys(servers).join(', ')}`);
      const counts = {};
      const windows = {};
      const failedRequests = {};
      // Two at a time: counts do not depend on what else runs.
      for (let i = 0; i < names.length; i += 2) {
        const pair = names.slice(i, i + 2);
        // Settled, so that a failing count does not end the run while the other server still runs.
        const settled = await Promise.allSettled(
          pair.map((name) => countInstructions(servers[name], { warmup, requests, keepDir: keepDir === undefined ? undefined : makeDir(join(keepDir, name)) })),
        );
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        pair.forEach((name, j) => {
          counts[name] = settled[j].value.instructions;
          windows[name] = { counts: settled[j].value.windows, spread: settled[j].value.spread };
          if (settled[j].value.failed > 0) failedRequests[name] = settled[j].value.failed;
        });
      }
      const ratio = (over, under) => (counts[over] && counts[under] ? round(counts[over] / counts[under]) : null);
      return {
        warmup,
        requests,
        instructions_per_request: counts,
        // Each server's windows, and their spread (largest minus smallest over the median).
        windows,
        failed_requests: failedRequests,
        bare_over_server: Object.fromEntries(names.map((name) => [name, ratio('bare-koa', name)])),
        // The target's pair: the same stack at the same log level over the service (at least 0.9).
        stack_over_service: Object.fromEntries(['info', 'silent'].map((level) => [level, ratio(`koa-stack-${level}`, `llm-settings-${level}`)])),
        // Metrics' cost: the service without them over the service with them (at least 0.95).
        metrics_off_over_on: ratio('llm-settings-silent-metrics-off', 'llm-settings-silent'),
      };
    });
  } finally {
    await database.drop();
  }
}

function makeDir(path) {
  mkdirSync(path, { recursive: true });
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { only: { type: 'string' }, keep: { type: 'string' }, requests: { type: 'string' }, warmup: { type: 'string' } } });
  const amounts = { ...(values.requests === undefined ? {} : { requests: Number(values.requests) }), ...(values.warmup === undefined ? {} : { warmup: Number(values.warmup) }) };
  console.log(JSON.stringify(await runInstructionsBench({ only: values.only?.split(','), keepDir: values.keep, ...amounts }), null, 2));
}
