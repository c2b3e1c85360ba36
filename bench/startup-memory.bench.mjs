// Cold start of `llm-settings serve` to its first 200 on GET /healthz, and the resident
// memory of a running server after 50 000 and 100 000 requests.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { CLI, REPO_ROOT, SERVE_NODE_OPTIONS, SETTINGS_BODY, createDatabase, dist, freePort, load, median, putSettings, round, rssMb, startLlmSettings, withLogDir } from './support.mjs';

/**
 * Spawns `node packages/server/dist/cli.js serve` with the options `pnpm start` uses,
 * and polls /healthz every 5 ms until it answers 200. The first start on a fresh
 * database also creates the table; the median is taken over the restarts that follow,
 * as a deployment restarts.
 * @returns the first start, every restart and their median in milliseconds (target: under 1 000 ms).
 */
export async function runColdStartBench({ kinds = ['sqlite', 'postgres'], starts = 7 } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const results = {};
  for (const kind of kinds) {
    const database = await createDatabase(kind);
    try {
      const encryptionKey = generateFernetKey();
      const first = await timeToFirstOk(database.url, encryptionKey);
      const times = [];
      for (let i = 0; i < starts; i++) times.push(await timeToFirstOk(database.url, encryptionKey));
      results[kind] = { median_ms: Math.round(median(times)), first_start_ms: Math.round(first), starts_ms: times.map(Math.round) };
    } finally {
      await database.drop();
    }
  }
  return results;
}

async function timeToFirstOk(databaseUrl, encryptionKey) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...SERVE_NODE_OPTIONS, CLI, 'serve'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), DATABASE_URL: databaseUrl, ENCRYPTION_KEY: encryptionKey },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode} before answering`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        await response.arrayBuffer();
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * One server (SQLite, LOG_LEVEL=info) under 50 connections of mixed traffic: nine GETs
 * for one PUT on each connection. VmRSS is read after start, after 50 000 and after
 * 100 000 requests (targets: under 120 MB, and flat from 50 000 to 100 000).
 */
export async function runMemoryBench({ requests = [50_000, 100_000] } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const database = await createDatabase('sqlite');
  try {
    return await withLogDir(async (logDir) => {
      const server = await startLlmSettings({ databaseUrl: database.url, encryptionKey: generateFernetKey(), logDir });
      try {
        await putSettings(server.url);
        const result = { after_start_mb: rssMb(server.pid) };
        const cycle = [...Array(9).fill({ method: 'GET' }), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: SETTINGS_BODY }];
        let sent = 0;
        for (const target of requests) {
          await load({ url: `${server.url}/api/settings/llm`, connections: 50, amount: target - sent, requests: cycle });
          sent = target;
          result[`after_${target}_mb`] = rssMb(server.pid);
        }
        const [first, last] = requests.map((target) => result[`after_${target}_mb`]);
        result.growth_mb = round(last - first, 1);
        return result;
      } finally {
        await server.stop();
      }
    });
  } finally {
    await database.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({ cold_start: await runColdStartBench(), memory: await runMemoryBench() }, null, 2));
}
