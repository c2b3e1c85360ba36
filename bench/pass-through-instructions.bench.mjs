// `node bench/pass-through-instructions.bench.mjs`: CPU instructions per non-streamed chat
// completion through the LLM pass-through (POST /api/llm/openai/v1/chat/completions),
// counted by callgrind in the server's main thread as bench/instructions.bench.mjs counts
// GET: the service as `pnpm start` runs it (LOG_LEVEL=info, usage counting on) and the bare
// Koa forwarder (bench/bare-koa.mjs), both against the fake provider in this process. The
// latency targets of the pass-through (`pnpm bench`) are over the bare forwarder: this is
// their CPU side, steady within a few per cent on a loaded machine where latency is not.
// `--keep <dir>`: keeps each server's dump there (callgrind_annotate --inclusive=yes);
// `--only bare-koa|llm-settings`: counts that one alone; `--perf-map`: the service writes
// /tmp/perf-<pid>.map, which names the JIT code that callgrind shows as addresses.
// About 6 minutes; needs a build and valgrind.
import { mkdirSync } from 'node:fs';
import { Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { countInstructions } from './instructions.bench.mjs';
import { OPENAI_KEY, createDatabase, dist, migrate, putSettings, round, startBareKoa, startLlmSettings, withLogDir } from './support.mjs';

const CHAT_PATH = '/api/llm/openai/v1/chat/completions';
const CHAT_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }] });

/**
 * @returns instructions per call of the service and of the bare forwarder, and the
 *   service's count over the bare one.
 */
export async function runPassThroughInstructionsBench({ warmup = 1_500, requests = 1_500, keepDir = null, only = null, nodeOptions = '' } = {}) {
  keepIdleSocketsOpen();
  const { startFakeProvider } = await dist.fakeProvider();
  const { generateFernetKey } = await dist.fernet();
  const fake = await startFakeProvider();
  const database = await createDatabase('sqlite');
  try {
    await migrate(database.url);
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      const env = { ANTHROPIC_BASE_URL: fake.baseUrls.anthropic, OPENAI_BASE_URL: fake.baseUrls.openai };
      // The default scope's settings, stored through the API as a user would.
      const probe = await startLlmSettings({ name: 'store', databaseUrl: database.url, encryptionKey, logDir, env });
      await putSettings(probe.url).finally(() => probe.stop());
      const servers = {
        'bare-koa': (options) => startBareKoa({ databaseUrl: database.url, encryptionKey, logDir, openai: { url: `${fake.baseUrls.openai}/chat/completions`, key: OPENAI_KEY }, ...options }),
        'llm-settings': (options) => startLlmSettings({ databaseUrl: database.url, encryptionKey, logDir, env: { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) }, ...options }),
      };
      const request = { path: CHAT_PATH, method: 'POST', headers: { 'content-type': 'application/json' }, body: CHAT_BODY };
      const counts = {};
      // One after the other: counts do not depend on what else runs, but a start under
      // valgrind on a loaded machine is slow enough already.
      for (const [name, server] of Object.entries(servers).filter(([name]) => only === null || name === only)) {
        const dir = keepDir ? join(keepDir, name) : undefined;
        if (dir) mkdirSync(dir, { recursive: true });
        counts[name] = (await countInstructions(server, { warmup, requests, request, keepDir: dir })).instructions;
        console.error(`${name}: ${counts[name]} instructions per call`);
      }
      const ratio = counts['llm-settings'] && counts['bare-koa'] ? { service_over_bare: round(counts['llm-settings'] / counts['bare-koa']) } : {};
      return { warmup, requests, instructions_per_call: counts, ...ratio };
    });
  } finally {
    await fake.close();
    await database.drop();
  }
}

/**
 * The fake provider's servers (the only ones in this process) keep idle sockets for 10
 * minutes instead of Node's 5 s: a server under valgrind can leave its upstream socket
 * idle that long, and reusing one the fake is closing fails the call (a 502).
 */
function keepIdleSocketsOpen() {
  const { listen } = Server.prototype;
  Server.prototype.listen = function (...args) {
    this.keepAliveTimeout = 600_000;
    return listen.apply(this, args);
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const option = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : null);
  const nodeOptions = process.argv.includes('--perf-map') ? '--perf-basic-prof' : '';
  console.log(JSON.stringify(await runPassThroughInstructionsBench({ keepDir: option('--keep'), only: option('--only'), nodeOptions }), null, 2));
}
