// `pnpm bench:instructions`: CPU instructions per cached GET /api/settings/llm, counted by
// valgrind's callgrind in each server's main thread, for the service (LOG_LEVEL=info and
// silent), the bare Koa baselines and the same Koa stack (bench/koa-stack.mjs) at both
// levels. Counts repeat within about 1 % from run to run, whatever else the machine is
// doing, where throughput moves 5–15 %: use it to compare two versions of a change. It
// leaves out the kernel's share (the socket write, the same for every server) and is no
// throughput figure; `pnpm bench` measures those. Each server runs under valgrind, two at
// a time: about 3 minutes in all. Needs a build and valgrind.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, createDatabase, dist, migrate, putSettings, round, startBareKoa, startKoaStack, startLlmSettings, withLogDir } from './support.mjs';

const autocannon = createRequire(join(REPO_ROOT, 'package.json'))('autocannon');
const SETTINGS_PATH = '/api/settings/llm';

/**
 * Requests answered by one server, with callgrind counting only those it answers while on.
 * `request`: autocannon's `path`, `method`, `headers` and `body` (GET of the settings by default).
 * `keepDumpAs`: a path to copy the main thread's dump to, for callgrind_annotate.
 */
export async function countInstructions(start, { warmup, requests, request = { path: SETTINGS_PATH }, keepDumpAs }) {
  const outDir = mkdtempSync(join(tmpdir(), 'llm-bench-callgrind-'));
  const launcher = {
    command: 'valgrind',
    // Off until the warm-up is done; threads apart, so that the main thread can be read
    // alone (V8 compiles and collects garbage on helper threads too); V8 writes code at
    // run time, which valgrind must check for.
    args: ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${join(outDir, 'callgrind.out')}`],
  };
  const server = await startUnderValgrind(start, launcher);
  try {
    // A long timeout: under valgrind on a loaded machine an answer can take over autocannon's 10 s.
    const { path, ...rest } = request;
    const run = (amount) => autocannon({ url: `${server.url}${path}`, ...rest, connections: 10, amount, timeout: 120 });
    await run(warmup);
    execFileSync('callgrind_control', ['--instr=on', String(server.pid)], { stdio: 'ignore' });
    const result = await run(requests);
    execFileSync('callgrind_control', ['--instr=off', String(server.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' });
    // A few calls through a server under valgrind may fail: an upstream keep-alive socket
    // that the other end closed after 5 s idle (a 502), which costs about what a call does.
    const failed = result.non2xx + result.errors;
    if (failed > requests / 100) throw new Error(`${server.name}: ${failed} failed requests (${JSON.stringify(result.statusCodeStats)})`);
    const { total, file } = mainThreadInstructions(outDir);
    if (keepDumpAs) copyFileSync(file, keepDumpAs);
    return Math.round(total / result.requests.total);
  } finally {
    await server.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * Starts a server under valgrind, up to three times: on a loaded machine its first store
 * connection, slowed some fifty times, can miss the store's 1.5 s acquire timeout, and
 * the service then exits at start.
 */
async function startUnderValgrind(start, launcher) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start({ launcher, readyTimeoutMs: 300_000 });
    } catch (error) {
      if (attempt === 3 || !/exited/.test(error.message)) throw error;
    }
  }
}

/** The main thread's count in the dump: the largest total of the files for thread 1, and that file. */
function mainThreadInstructions(outDir) {
  let total = 0;
  let file = null;
  for (const name of readdirSync(outDir).filter((name) => name.endsWith('-01'))) {
    for (const match of readFileSync(join(outDir, name), 'utf8').matchAll(/^totals: (\d+)/gm)) {
      if (Number(match[1]) > total) [total, file] = [Number(match[1]), join(outDir, name)];
    }
  }
  if (total === 0) throw new Error(`no callgrind count for the main thread in ${outDir}`);
  return { total, file };
}

/**
 * @returns instructions per request of each server, the bare app's count divided by
 *   each one (above 1: fewer instructions than the bare app), and the Koa stack's count
 *   divided by the service's at each log level (the GET target: at least 0.9).
 */
export async function runInstructionsBench({ warmup = 10_000, requests = 10_000 } = {}) {
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
      };
      const names = Object.keys(servers);
      const counts = {};
      // Two at a time: counts do not depend on what else runs.
      for (let i = 0; i < names.length; i += 2) {
        const pair = names.slice(i, i + 2);
        // Settled, so that a failing count does not end the run while the other server still runs.
        const settled = await Promise.allSettled(pair.map((name) => countInstructions(servers[name], { warmup, requests })));
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        pair.forEach((name, j) => (counts[name] = settled[j].value));
      }
      const bare = counts['bare-koa'];
      return {
        warmup,
        requests,
        instructions_per_request: counts,
        bare_over_server: Object.fromEntries(names.map((name) => [name, round(bare / counts[name])])),
        // The target's pair: the same stack at the same log level over the service (at least 0.9).
        stack_over_service: Object.fromEntries(['info', 'silent'].map((level) => [level, round(counts[`koa-stack-${level}`] / counts[`llm-settings-${level}`])])),
      };
    });
  } finally {
    await database.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runInstructionsBench(), null, 2));
}
