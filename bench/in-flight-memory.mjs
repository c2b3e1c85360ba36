// What the pass-through's calls in flight hold at their limit: `llm-settings serve` as
// `pnpm start` runs it, with its default limits (PROXY_MAX_IN_FLIGHT 256, 32 per scope,
// PROXY_MAX_BODY_BYTES 10 MiB), and 256 calls over 8 scopes each sending a body one byte
// short of the limit, then holding it (the server keeps every byte read until the body is
// whole or PROXY_BODY_TIMEOUT_MS passes, here its highest, 300 s, so that none is let go
// while the others arrive). Read from the server's /metrics while they are
// held: the JS heap used, the memory outside it (the bodies' Buffers) and the RSS; then
// whether it still answers. `--calls=N --body-mib=M` scale it down.
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, dist, round, rssMb, startLlmSettings, withLogDir } from './support.mjs';

const SCOPES = 8;
const MIB = 2 ** 20;

/** Gauges of the server's /metrics, in MB. */
async function memoryMetrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (name) => round(Number(new RegExp(`^llm_settings_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / MIB, 1);
  return { heap_used_mb: mb('nodejs_heap_size_used_bytes'), heap_total_mb: mb('nodejs_heap_size_total_bytes'), external_mb: mb('nodejs_external_memory_bytes') };
}

/** A pass-through call whose body stops one byte short of its declared length; resolves once it is all written. */
function heldCall(url, scope, body) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const head = [
    'POST /api/llm/openai/v1/chat/completions HTTP/1.1',
    `Host: ${hostname}:${port}`,
    'Content-Type: application/json',
    `Content-Length: ${body.length + 1}`,
    `llm-settings-scope: ${scope}`,
    '',
    '',
  ].join('\r\n');
  socket.write(head);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.write(body, () => resolve(socket));
  });
}

export async function runInFlightMemory({ calls = 256, bodyMib = 10 } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const database = await createDatabase('sqlite');
  try {
    return await withLogDir(async (logDir) => {
      const server = await startLlmSettings({ databaseUrl: database.url, encryptionKey: generateFernetKey(), logDir, env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', PROXY_BODY_TIMEOUT_MS: '300000' } });
      const sockets = [];
      try {
        for (let i = 0; i < SCOPES; i++) {
          const saved = await fetch(`${server.url}/api/settings/llm`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', 'llm-settings-scope': `held-${i}` },
            body: JSON.stringify({ provider: 'openai', api_key: `sk-proj-held-${i}-0000000000000000000000000000` }),
          });
          if (saved.status !== 200) throw new Error(`PUT answered ${saved.status}`);
        }
        const before = { rss_mb: rssMb(server.pid), ...(await memoryMetrics(server.url)) };
        // One buffer written to every socket: the bench holds 10 MiB, the server one copy per call.
        const body = Buffer.alloc(bodyMib * MIB - 1, 'a');
        sockets.push(...(await Promise.all(Array.from({ length: calls }, (_, i) => heldCall(server.url, `held-${i % SCOPES}`, body)))));
        // Written is not yet read: wait until the server's memory outside the heap stops growing.
        let held = { external_mb: -1 };
        for (let last = null; held.external_mb !== last; ) {
          last = held.external_mb;
          await sleep(2000);
          held = { rss_mb: rssMb(server.pid), ...(await memoryMetrics(server.url)) };
        }
        const health = (await fetch(`${server.url}/healthz`)).status;
        const perCall = (field) => round(((held[field] - before[field]) * 1024) / calls, 1);
        return {
          calls,
          body_mib: bodyMib,
          before,
          held,
          per_call_kb: { heap_used: perCall('heap_used_mb'), external: perCall('external_mb'), rss: perCall('rss_mb') },
          healthz_while_held: health,
        };
      } finally {
        for (const socket of sockets) socket.destroy();
        await server.stop();
      }
    });
  } finally {
    await database.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const option = (name, fallback) => Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  console.log(JSON.stringify(await runInFlightMemory({ calls: option('calls', 256), bodyMib: option('body-mib', 10) }), null, 2));
}
