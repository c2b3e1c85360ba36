// Resident memory of `llm-settings serve` (SQLite file, LOG_LEVEL=info, its log to a file)
// under 100 000 requests of mixed traffic: on each of 50 connections, nine GETs for one
// PUT, each request naming the next of a few scopes. VmRSS is read after start (the scopes
// written once), after 50 000 and after 100 000 requests (target: under 120 MB, and flat
// from 50 000 to 100 000), with the server's CPU per request and its full collections
// (from its /metrics), what a heap setting costs. `--heap-snapshot`: the server then
// writes a V8 heap snapshot (`--heapsnapshot-signal`), and the biggest constructors of the
// snapshot by their own size are printed beside the RSS read after it (a snapshot collects
// all garbage first).
// `--node-options=<flags>`: Node/V8 flags added to the server's command line, e.g. a smaller
// old space; `--env=NAME=value` (repeatable): variables added to its environment.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { SETTINGS_BODY, createDatabase, dist, putSettings, round, rssMb, startLlmSettings, withLogDir } from './support.mjs';

const SETTINGS_PATH = '/api/settings/llm';
const TARGET_MB = 120;

/** The nine GETs and one PUT of each connection's cycle, each on the next of `scopes` scopes. */
function mixedTraffic(scopes) {
  let next = 0;
  const scoped = (request) => ({ ...request, headers: { ...request.headers, 'llm-settings-scope': `rss-${next++ % scopes}` } });
  const get = { method: 'GET', setupRequest: scoped };
  const put = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: SETTINGS_BODY, setupRequest: scoped };
  return [...Array(9).fill(get), put];
}

/** The parts of a process's resident memory, in MB: anonymous (heaps, native allocations) and file-backed (code). */
function rssParts(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field) => round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024, 1);
  return { anon_mb: mb('RssAnon'), file_mb: mb('RssFile') };
}

/** CPU time (user and system) process `pid` has used so far, in ms (`/proc/<pid>/stat`, 100 ticks a second). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The server's full (mark-compact) collections so far and their time, from its /metrics. */
async function fullCollections(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (suffix) => Number(new RegExp(`^llm_settings_nodejs_gc_duration_seconds_${suffix}\\{kind="major"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { count: read('count'), ms: round(read('sum') * 1000, 1) };
}

/** Waits for the server's heap snapshot in `dir` to be complete (its size stops changing). */
async function waitForSnapshot(dir) {
  let last = -1;
  for (;;) {
    await sleep(1000);
    const file = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'));
    if (!file) continue;
    const path = join(dir, file);
    const size = readFileSync(path).length;
    if (size > 0 && size === last) return path;
    last = size;
  }
}

/** The constructors holding the most memory in a heap snapshot, by the own size of their objects. */
function biggestConstructors(path, top = 12) {
  const snapshot = JSON.parse(readFileSync(path, 'utf8'));
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const totals = new Map();
  let heap = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]];
    const name = type === 'object' || type === 'closure' ? snapshot.strings[snapshot.nodes[i + nameAt]] : `(${type})`;
    const size = snapshot.nodes[i + sizeAt];
    heap += size;
    const total = totals.get(name) ?? { count: 0, bytes: 0 };
    total.count++;
    total.bytes += size;
    totals.set(name, total);
  }
  const mb = (bytes) => round(bytes / 2 ** 20, 2);
  return {
    live_heap_mb: mb(heap),
    biggest: [...totals]
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .slice(0, top)
      .map(([name, t]) => ({ name, count: t.count, mb: mb(t.bytes) })),
  };
}

/**
 * @returns VmRSS in MB after start, after each checkpoint of `requests`, the growth between
 *   the two checkpoints, and whether the last is under 120 MB; with `heapSnapshot`, also
 *   the RSS after the snapshot and its biggest constructors.
 */
export async function runRssBench({ requests = [50_000, 100_000], scopes = 10, heapSnapshot = false, nodeOptions = '', env = {} } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const database = await createDatabase('sqlite');
  try {
    return await withLogDir(async (logDir) => {
      const nodeArgs = [nodeOptions, heapSnapshot ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${logDir}` : ''].join(' ').split(/\s+/).filter(Boolean);
      const server = await startLlmSettings({ databaseUrl: database.url, encryptionKey: generateFernetKey(), logDir, logLevel: 'info', env, nodeArgs });
      try {
        for (let i = 0; i < scopes; i++) {
          const response = await fetch(`${server.url}${SETTINGS_PATH}`, { method: 'PUT', headers: { 'content-type': 'application/json', 'llm-settings-scope': `rss-${i}` }, body: SETTINGS_BODY });
          if (response.status !== 200) throw new Error(`PUT of scope rss-${i} answered ${response.status}: ${await response.text()}`);
        }
        await putSettings(server.url);
        const result = { scopes, after_start_mb: rssMb(server.pid) };
        // Not `load`: a PUT answered 503 (SQLite busy past its timeout on a loaded machine) is
        // still a request served, and memory is the measure; they are counted instead.
        result.failed_requests = 0;
        let sent = 0;
        const cpuBefore = cpuMs(server.pid);
        for (const target of requests) {
          const run = await autocannon({ url: `${server.url}${SETTINGS_PATH}`, connections: 50, amount: target - sent, requests: mixedTraffic(scopes) });
          result.failed_requests += run.errors + run.timeouts + run.non2xx;
          sent = target;
          result[`after_${target}_mb`] = rssMb(server.pid);
        }
        const [first, last] = requests.map((target) => result[`after_${target}_mb`]);
        result.growth_mb = round(last - first, 1);
        // Server CPU per request (what a smaller heap costs in collections), and those collections.
        result.cpu_us_per_request = round(((cpuMs(server.pid) - cpuBefore) * 1000) / requests.at(-1), 1);
        result.full_collections = await fullCollections(server.url);
        result[`after_${requests.at(-1)}_parts`] = rssParts(server.pid);
        result.target_mb = TARGET_MB;
        result.under_target = last < TARGET_MB;
        if (heapSnapshot) {
          process.kill(server.pid, 'SIGUSR2');
          const path = await waitForSnapshot(logDir);
          result.after_snapshot_mb = rssMb(server.pid);
          result.heap_snapshot = biggestConstructors(path);
        }
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
  // `--node-options=<flags>`, `--env=NAME=value`: to try what would bring RSS down.
  const nodeOptions = process.argv.find((arg) => arg.startsWith('--node-options='))?.slice('--node-options='.length) ?? '';
  const env = Object.fromEntries(process.argv.filter((arg) => arg.startsWith('--env=')).map((arg) => arg.slice('--env='.length).split(/=(.*)/s, 2)));
  console.log(JSON.stringify({ node_options: nodeOptions, env, ...(await runRssBench({ heapSnapshot: process.argv.includes('--heap-snapshot'), nodeOptions, env })) }, null, 2));
}
