// `node bench/pass-through-phases.bench.mjs [--rate <calls/s>] [--rounds <n>] [--base <checkout>]`:
// where a pass-through call's time goes inside the server, for the service (as `pnpm start`
// runs it) and the bare Koa forwarder, both loaded with bench/pass-through-phases.mjs:
// `to_upstream` (the request's arrival to the upstream request handed to Node's client),
// `upstream` (to the provider's answer head), `to_answer` (to the answer's last byte
// handed to the socket) and `whole`, medians in µs of the calls that ran alone, per
// round. Chat completions arrive at random (100 calls/s by default: each server sleeps
// between calls, as in `pnpm bench`'s 400 calls/s, and calls rarely overlap), 3 s per
// server per round, the order rotating; the fake provider runs in a process of its own.
// `--base <checkout>`: also runs the service of another built checkout (same Node
// modules layout), for an A/B of two builds on one machine at one time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { poissonLoad } from './proxy.bench.mjs';
import { OPENAI_KEY, REPO_ROOT, SERVE_NODE_OPTIONS, createDatabase, dist, median, round, startBareKoa, startFakeProviderProcess, startProcess, withLogDir } from './support.mjs';

const PRELOAD = ['--import', join(REPO_ROOT, 'bench/pass-through-phases.mjs')];
const CHAT_PATH = '/api/llm/openai/v1/chat/completions';
const SCOPE = 'bench-phases';

/** The server's phase medians since its last report. */
async function phasesOf(server, reported) {
  process.kill(server.pid, 'SIGUSR2');
  for (let waited = 0; waited < 2_000; waited += 20) {
    const lines = readFileSync(server.logFile, 'utf8').split('\n').filter((line) => line.startsWith('PHASES '));
    if (lines.length > reported) return JSON.parse(lines[reported].slice('PHASES '.length));
    await sleep(20);
  }
  throw new Error(`${server.name} reported no phases; see ${server.logFile}`);
}

/**
 * @returns per server (the service, the base build's service with `base`, bare Koa): the
 *   client's median latency of each round in ms, and the server's phase medians of each
 *   round in µs (see bench/pass-through-phases.mjs).
 */
export async function runPassThroughPhasesBench({ rate = 100, rounds = 4, durationS = 3, base = null } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const provider = await startFakeProviderProcess();
  const database = await createDatabase('sqlite');
  try {
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'info', OPENAI_BASE_URL: provider.baseUrls.openai };
      const service = (name, root) => startProcess({ name, args: [...SERVE_NODE_OPTIONS, ...PRELOAD, join(root, 'packages/server/dist/cli.js'), 'serve'], env, logDir });
      const serviceHeaders = { 'content-type': 'application/json', 'llm-settings-scope': SCOPE };
      const targets = [];
      try {
        for (const [name, root] of [['llm-settings', REPO_ROOT], ...(base === null ? [] : [['llm-settings-base', base]])]) {
          const server = await service(name, root);
          targets.push({ server, url: `${server.url}${CHAT_PATH}`, headers: serviceHeaders });
        }
        const bare = await startBareKoa({ databaseUrl: database.url, encryptionKey, openai: { url: `${provider.baseUrls.openai}/chat/completions`, key: OPENAI_KEY }, logDir, nodeArgs: PRELOAD });
        targets.push({ server: bare, url: `${bare.url}${CHAT_PATH}`, headers: { 'content-type': 'application/json' } });
        const stored = await fetch(`${targets[0].server.url}/api/settings/llm`, { method: 'PUT', headers: serviceHeaders, body: JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY }) });
        if (stored.status !== 200) throw new Error(`PUT answered ${stored.status}: ${await stored.text()}`);

        const reports = new Map(targets.map(({ server }) => [server, 0]));
        const report = (server) => {
          const index = reports.get(server);
          reports.set(server, index + 1);
          return phasesOf(server, index);
        };
        // Warm-up, whose figures are dropped.
        for (const target of targets) {
          await poissonLoad(target, { rate, connections: 50, durationS: 1 });
          await report(target.server);
        }
        const results = Object.fromEntries(targets.map(({ server }) => [server.name, { client_p50_ms: [], rounds: [] }]));
        for (let i = 0; i < rounds; i++) {
          for (let j = 0; j < targets.length; j++) {
            const target = targets[(i + j) % targets.length];
            const latencies = await poissonLoad(target, { rate, connections: 50, durationS });
            results[target.server.name].client_p50_ms.push(round(median(latencies), 3));
            results[target.server.name].rounds.push(await report(target.server));
          }
        }
        return results;
      } finally {
        for (const { server } of targets) await server.stop();
      }
    });
  } finally {
    await provider.stop();
    await database.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, rounds: { type: 'string' }, base: { type: 'string' } } });
  const result = await runPassThroughPhasesBench({
    ...(values.rate ? { rate: Number(values.rate) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values.base ? { base: values.base } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
