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
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { OPENAI_KEY, REPO_ROOT, SERVE_NODE_OPTIONS, createDatabase, dist, median, round, startBareKoa, startFakeProviderProcess, startProcess, withLogDir } from './support.mjs';

const PRELOAD = ['--import', join(REPO_ROOT, 'bench/pass-through-phases.mjs')];
const CHAT_PATH = '/api/llm/openai/v1/chat/completions';
const CHAT_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }] });
const SCOPE = 'bench-phases';

function post(agent, { url, headers }) {
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

/** Calls arriving at random (a Poisson process of `rate` per second) for `durationS`. @returns their latencies in ms. */
async function poissonLoad(target, rate, durationS) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const calls = [];
  const end = performance.now() + durationS * 1000;
  try {
    for (let next = performance.now(); next < end; next += (-Math.log(1 - Math.random()) * 1000) / rate) {
      const wait = next - performance.now();
      if (wait >= 1) await sleep(wait);
      calls.push(post(agent, target));
    }
    return await Promise.all(calls);
  } finally {
    agent.destroy();
  }
}

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

export async function runPassThroughPhasesBench({ rate = 100, rounds = 4, durationS = 3, base = null } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const provider = await startFakeProviderProcess();
  const database = await createDatabase('sqlite');
  try {
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'info', OPENAI_BASE_URL: provider.baseUrls.openai };
      const service = (name, root) => startProcess({ name, args: [...SERVE_NODE_OPTIONS, ...PRELOAD, join(root, 'packages/server/dist/cli.js'), 'serve'], env, logDir });
      const servers = [await service('llm-settings', REPO_ROOT)];
      if (base !== null) servers.push(await service('llm-settings-base', base));
      const serviceHeaders = { 'content-type': 'application/json', 'llm-settings-scope': SCOPE };
      const targets = servers.map((server) => ({ server, url: `${server.url}${CHAT_PATH}`, headers: serviceHeaders }));
      const bare = await startBareKoa({ databaseUrl: database.url, encryptionKey, openai: { url: `${provider.baseUrls.openai}/chat/completions`, key: OPENAI_KEY }, logDir, nodeArgs: PRELOAD });
      targets.push({ server: bare, url: `${bare.url}${CHAT_PATH}`, headers: { 'content-type': 'application/json' } });
      const stored = await fetch(`${servers[0].url}/api/settings/llm`, { method: 'PUT', headers: serviceHeaders, body: JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY }) });
      if (stored.status !== 200) throw new Error(`PUT answered ${stored.status}: ${await stored.text()}`);

      const reported = new Map(targets.map(({ server }) => [server, 0]));
      const report = async (server) => phasesOf(server, reported.set(server, reported.get(server) + 1).get(server) - 1);
      // Warm-up, whose figures are dropped.
      for (const target of targets) {
        await poissonLoad(target, rate, 1);
        await report(target.server);
      }
      const results = Object.fromEntries(targets.map(({ server }) => [server.name, { client_p50_ms: [], rounds: [] }]));
      for (let i = 0; i < rounds; i++) {
        for (let j = 0; j < targets.length; j++) {
          const target = targets[(i + j) % targets.length];
          const latencies = await poissonLoad(target, rate, durationS);
          results[target.server.name].client_p50_ms.push(round(median(latencies), 3));
          results[target.server.name].rounds.push(await report(target.server));
        }
      }
      for (const { server } of targets) await server.stop();
      return results;
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
