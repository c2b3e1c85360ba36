// Shared pieces of the HTTP benchmarks: child processes, fresh databases, load runs
// and statistics. The servers always run as child processes, so that the load
// generator (autocannon, in this process) and the measured server never share one.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

export const REPO_ROOT = new URL('..', import.meta.url).pathname;
export const CLI = join(REPO_ROOT, 'packages/server/dist/cli.js');
/**
 * The Node options `pnpm start` gives the server (the root package.json's start script),
 * so that the service is measured as the README starts it.
 */
export const SERVE_NODE_OPTIONS = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'))
  .scripts.start.split(/\s+/)
  .filter((word) => word.startsWith('--'));
const BARE_KOA = join(REPO_ROOT, 'bench/bare-koa.mjs');
const KOA_STACK = join(REPO_ROOT, 'bench/koa-stack.mjs');
const KOA_STACK_BESIDE_SERVICE = join(REPO_ROOT, 'bench/koa-stack-beside-service.mjs');
const FAKE_PROVIDER_BIN = join(REPO_ROOT, 'packages/fake-provider/dist/cli.js');
const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Packages the root does not depend on (knex, koa) resolve from the server package. */
const requireFromServer = createRequire(join(REPO_ROOT, 'packages/server/package.json'));

/** Built packages of this repository; `pnpm build` first. */
export const dist = {
  core: () => import('../packages/core/dist/index.js'),
  coreTesting: () => import('../packages/core/dist/testing/index.js'),
  fernet: () => import('../packages/crypto-fernet/dist/index.js'),
  storage: () => import('../packages/storage-knex/dist/index.js'),
  fakeProvider: () => import('../packages/fake-provider/dist/index.js'),
  server: () => import('../packages/server/dist/index.js'),
};

/**
 * Random-looking, as real keys are: the pass-through's key-echo scrub does more only where an
 * answer holds 4-byte blocks of the key, which a key of zeros (`0000`) met in every answer's
 * digits (about 11,000 instructions a call that a real key almost never costs).
 */
export const OPENAI_KEY = 'sk-proj-bench-Vq7Lm2XwT9bRc4KzN8pHs3JdY6fGwxyz';
export const ANTHROPIC_KEY = 'sk-ant-api03-bench-Tn4Rk8Wq2Zm6Lp9Xc3Vb7Hs1abcd';
export const SETTINGS_BODY = JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o' });

/** Every built-in provider enabled (Azure needs its root): the figures must not move with it. */
export const TEN_PROVIDERS_ENV = {
  LLM_PROVIDERS: 'anthropic,openai,openrouter,gemini,mistral,groq,deepseek,xai,azure-openai,ollama',
  AZURE_OPENAI_BASE_URL: 'https://bench.openai.azure.com/openai/v1',
};

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A database for one section: a SQLite file in a temp folder, or a fresh PostgreSQL database. */
export async function createDatabase(kind) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'llm-bench-'));
    return { kind, url: `sqlite:${join(dir, 'settings.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `llm_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  return {
    kind,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(sql) {
  const knex = requireFromServer('knex')({ client: 'pg', connection: POSTGRES_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await knex.raw(sql);
  } finally {
    await knex.destroy();
  }
}

/** Creates the settings table as the server would, so that the bare baseline can write too. */
export async function migrate(url) {
  const { createKnexFromUrl, migrateSettingsStore } = await dist.storage();
  const knex = createKnexFromUrl(url);
  try {
    await migrateSettingsStore(knex);
  } finally {
    await knex.destroy();
  }
}

/**
 * Starts a server process and waits for GET /healthz to answer 200. Its standard output
 * goes to a file, as a production log collector would take it. `launcher`: a command
 * that runs node (valgrind, say), with its own arguments before node's.
 */
export async function startProcess({ name, args, env, logDir, launcher, readyTimeoutMs }) {
  const port = await freePort();
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'w');
  const [command, commandArgs] = launcher ? [launcher.command, [...launcher.args, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port) },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForOk(`${url}/healthz`, readyTimeoutMs),
    exited.then((code) => {
      throw new Error(`${name} exited (${code}) before answering; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }),
  ]);
  return {
    name,
    url,
    pid: child.pid,
    logFile,
    stop: stopper(child, exited),
  };
}

/** Stops `child` with SIGTERM, and SIGKILL when it has not exited 15 s later. */
function stopper(child, exited) {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(15_000).then(() => 'timeout')])) === 'timeout') child.kill('SIGKILL');
  };
}

/**
 * `llm-settings serve` from the build, configured through the environment as users run it.
 * `nodeArgs`: Node/V8 flags after `pnpm start`'s (any V8 flag, where NODE_OPTIONS takes a few).
 */
export function startLlmSettings({ name = 'llm-settings', databaseUrl, encryptionKey, logLevel = 'info', logDir, env = {}, nodeArgs = [], launcher, readyTimeoutMs }) {
  return startProcess({
    name,
    args: [...SERVE_NODE_OPTIONS, ...nodeArgs, CLI, 'serve'],
    env: { DATABASE_URL: databaseUrl, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: logLevel, ...env },
    logDir,
    launcher,
    readyTimeoutMs,
  });
}

/**
 * The baseline (bench/bare-koa.mjs). `etag`: GET also sends the response headers the
 * service's contract requires (a request id, no-store, nosniff and that ETag). `openai`,
 * `anthropic`: `{ url, key }` of the chat completions and of the messages endpoint its
 * pass-through routes forward to. `nodeArgs`: Node flags before the script.
 */
export function startBareKoa({ name = 'bare-koa', databaseUrl, encryptionKey, view = '{}', etag, notifyChannel, openai, anthropic, logDir, launcher, readyTimeoutMs, nodeArgs = [] }) {
  return startProcess({
    name,
    args: [...nodeArgs, BARE_KOA],
    env: {
      DATABASE_URL: databaseUrl,
      ENCRYPTION_KEY: encryptionKey,
      BARE_VIEW: view,
      ...(etag ? { BARE_ETAG: etag } : {}),
      ...(notifyChannel ? { BARE_NOTIFY_CHANNEL: notifyChannel } : {}),
      ...(openai ? { BARE_OPENAI_URL: openai.url, BARE_OPENAI_KEY: openai.key } : {}),
      ...(anthropic ? { BARE_ANTHROPIC_URL: anthropic.url, BARE_ANTHROPIC_KEY: anthropic.key } : {}),
    },
    logDir,
    launcher,
    readyTimeoutMs,
  });
}

/**
 * The second GET baseline (bench/koa-stack.mjs): Koa, @koa/router, the five headers the
 * service sends, `view` as the body and, at `logLevel` info, one pino line per request.
 */
export function startKoaStack({ logLevel = 'info', name = `koa-stack-${logLevel}`, view = '{}', etag, logDir, launcher, readyTimeoutMs }) {
  return startProcess({
    name,
    args: [KOA_STACK],
    env: { BARE_VIEW: view, ...(etag ? { BARE_ETAG: etag } : {}), LOG_LEVEL: logLevel },
    logDir,
    launcher,
    readyTimeoutMs,
  });
}

/**
 * The Koa stack at LOG_LEVEL=silent (bench/koa-stack-beside-service.mjs), answering `view`
 * as startKoaStack's does, served from a process that also runs the service, idle, on
 * `databaseUrl`; without Node options, as startKoaStack's process, so that only the
 * service differs.
 */
export function startKoaStackBesideService({ name = 'koa-stack-beside-service', databaseUrl, encryptionKey, view = '{}', etag, logDir }) {
  return startProcess({
    name,
    args: [KOA_STACK_BESIDE_SERVICE],
    env: { LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, ENCRYPTION_KEY: encryptionKey, BARE_VIEW: view, ...(etag ? { BARE_ETAG: etag } : {}) },
    logDir,
  });
}

/**
 * The fake providers in a process of their own, as their bin runs them (`pnpm fake-provider`),
 * as a real provider is always another process than its caller. @returns the base URLs the
 * bin prints, its pid and `stop()`.
 */
export async function startFakeProviderProcess({ timeoutMs = 30_000 } = {}) {
  const child = spawn(process.execPath, [FAKE_PROVIDER_BIN], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const stop = stopper(child, exited);
  // Its standard error says only how to stop it, unless it fails.
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (errors += chunk));
  // "<provider> <base URL>" lines, then one line of variables: the URLs are whole by then.
  let printed = '';
  const baseUrls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the fake provider printed no URLs within ${timeoutMs} ms: ${errors}`)), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      printed += chunk;
      const lines = printed.split('\n');
      if (!lines.some((line) => line.includes('_BASE_URL='))) return;
      clearTimeout(timer);
      resolve(Object.fromEntries(lines.filter((line) => /^\S+ http:\/\/\S+$/.test(line)).map((line) => line.split(' '))));
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the fake provider exited (${code}) before printing its URLs: ${errors}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { baseUrls, pid: child.pid, stop };
}

export async function waitForOk(url, timeoutMs = 30_000, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Stores settings through the API; returns the view (as sent) and the ETag the server answers with. */
export async function putSettings(url, body = SETTINGS_BODY) {
  const response = await fetch(`${url}/api/settings/llm`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
  const view = await response.text();
  if (response.status !== 200) throw new Error(`PUT answered ${response.status}: ${view}`);
  return { view, etag: response.headers.get('etag') };
}

/** One autocannon run; throws when any request failed, since a failure is not a throughput. */
export async function load(options) {
  const result = await autocannon({ connections: 50, ...options });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${options.url}: ${failed} failed requests (errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx})`);
  return result;
}

/** CPU time (user + system) of a process so far, in milliseconds, from /proc. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Resident memory of a process, in MB, from /proc/<pid>/status. */
export function rssMb(pid) {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

export const median = (values) => quantile(values, 0.5);
export const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Milliseconds taken by `run`. */
export async function timed(run) {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Runs `work` with a temp folder for logs, removed afterwards. */
export async function withLogDir(work) {
  const dir = mkdtempSync(join(tmpdir(), 'llm-bench-logs-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
