// Cold start of `llm-settings serve` to its first 200 on GET /healthz. The resident memory
// of a running server under load is bench/rss.bench.mjs.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { CLI, REPO_ROOT, SERVE_NODE_OPTIONS, createDatabase, dist, freePort, median } from './support.mjs';

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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({ cold_start: await runColdStartBench() }, null, 2));
}
