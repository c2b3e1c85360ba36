// Throughput of GET and PUT /api/settings/llm against a bare Koa app doing the same
// work (bench/bare-koa.mjs), at 50 connections, on SQLite and on PostgreSQL (a fresh
// database per run). The service is measured at LOG_LEVEL=info (the production
// default: one JSON line per request on stdout) and at LOG_LEVEL=silent, to show what
// logging costs, and at LOG_LEVEL=info with all ten built-in providers enabled, to show
// that the number of providers costs nothing per request. GET is also measured against
// the same stack answering the same bytes (bench/koa-stack.mjs: Koa, @koa/router, the five
// headers, a pino line at info), at each log level. Every server runs in its own
// process; the load comes from this one.
import { pathToFileURL } from 'node:url';
import {
  SETTINGS_BODY,
  TEN_PROVIDERS_ENV,
  cpuMs,
  createDatabase,
  dist,
  load,
  median,
  migrate,
  putSettings,
  round,
  startBareKoa,
  startKoaStack,
  startKoaStackBesideService,
  startLlmSettings,
  withLogDir,
} from './support.mjs';

const SETTINGS_PATH = '/api/settings/llm';
/**
 * Warm-up of each server of a fresh GET pair, in seconds: V8 was still optimizing about 50
 * functions a 3 s round in the second round of load, a few from the third on (`--trace-opt`).
 */
const PAIR_WARMUP_S = 8;

const SCOPES = 100;
let scopeCounter = 0;
const REQUESTS = {
  GET: { method: 'GET' },
  PUT: { method: 'PUT', headers: { 'content-type': 'application/json' }, body: SETTINGS_BODY },
  // Each request names the next of 100 scopes, so that writes go to 100 rows, not one.
  PUT_SCOPES: {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: SETTINGS_BODY,
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'llm-settings-scope': `bench-${scopeCounter++ % SCOPES}` } }) }],
  },
};

/**
 * Loads each server in turn with the same request: a warm-up of `warmupS` seconds each,
 * then `rounds` rounds of one `durationS`-second run per server, the order rotating from
 * one round to the next. Ratios are taken within a round (runs seconds apart) and the
 * median over the rounds is kept, so that a burst of other load on the machine moves
 * one round, not the result.
 * @returns per server: requests/s of each round and over all, latency and CPU per request.
 */
async function compare(servers, request, { connections, durationS, warmupS, rounds }) {
  const options = (server, duration) => ({ url: `${server.url}${SETTINGS_PATH}`, connections, duration, ...request });
  for (const server of servers) await load(options(server, warmupS));
  const totals = new Map(servers.map((server) => [server.name, { rounds: [], requests: 0, seconds: 0, cpuMs: 0, p50: [], p99: [] }]));
  for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
    const order = servers.map((_, i) => servers[(i + roundIndex) % servers.length]);
    for (const server of order) {
      const cpuBefore = cpuMs(server.pid);
      const result = await load(options(server, durationS));
      const total = totals.get(server.name);
      total.cpuMs += cpuMs(server.pid) - cpuBefore;
      total.rounds.push(Math.round(result.requests.total / result.duration));
      total.requests += result.requests.total;
      total.seconds += result.duration;
      total.p50.push(result.latency.p50);
      total.p99.push(result.latency.p99);
    }
  }
  return Object.fromEntries(
    [...totals].map(([name, t]) => [
      name,
      {
        requests_per_s: Math.round(t.requests / t.seconds),
        rounds_requests_per_s: t.rounds,
        latency_p50_ms: median(t.p50),
        latency_p99_ms: median(t.p99),
        server_cpu_us_per_request: round((t.cpuMs * 1000) / t.requests, 1),
      },
    ]),
  );
}

/** Median over the rounds of `server`'s requests/s divided by the baseline's in the same round. */
function ratio(figures, server, baseline) {
  const base = figures[baseline].rounds_requests_per_s;
  return round(median(figures[server].rounds_requests_per_s.map((value, i) => value / base[i])));
}

/**
 * @returns for each database kind and method: the figures of each server and the ratios
 *   service / bare Koa at LOG_LEVEL=info and silent (context for GET, target 0.8 for PUT);
 *   for GET also `against_stack`: service / Koa stack at each log level, over `starts`
 *   fresh pairs (againstStack; target at least 0.9).
 */
export async function runHttpBench({ kinds = ['sqlite', 'postgres'], methods = Object.keys(REQUESTS), connections = 50, durationS = 3, warmupS = 2, rounds = 5, starts = 3 } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const results = {};
  for (const kind of kinds) {
    // One database per instance of the service: on PostgreSQL each instance listens for
    // the others' writes, and only the measured one should do work.
    const databases = [];
    try {
      for (let i = 0; i < 3; i++) {
        databases.push(await createDatabase(kind));
        await migrate(databases[i].url);
      }
      const [infoDatabase, silentDatabase, tenDatabase] = databases;
      results[kind] = await withLogDir(async (logDir) => {
        const encryptionKey = generateFernetKey();
        const servers = [];
        try {
          const info = await startLlmSettings({ name: 'llm-settings-info', databaseUrl: infoDatabase.url, encryptionKey, logDir, logLevel: 'info' });
          servers.push(info);
          const silent = await startLlmSettings({ name: 'llm-settings-silent', databaseUrl: silentDatabase.url, encryptionKey, logDir, logLevel: 'silent' });
          servers.push(silent);
          const ten = await startLlmSettings({ name: 'llm-settings-ten-providers', databaseUrl: tenDatabase.url, encryptionKey, logDir, logLevel: 'info', env: TEN_PROVIDERS_ENV });
          servers.push(ten);
          const { view, etag } = await putSettings(info.url);
          await putSettings(silent.url);
          await putSettings(ten.url);
          const bare = await startBareKoa({ databaseUrl: infoDatabase.url, encryptionKey, logDir, view });
          servers.push(bare);
          // On PostgreSQL every write of the service also NOTIFYs its other instances, and
          // commits that notify are serialized by PostgreSQL: a second baseline does that too.
          // Its own channel: no instance of the service hears it.
          const bareNotify =
            kind === 'postgres'
              ? await startBareKoa({ name: 'bare-koa-notify', databaseUrl: infoDatabase.url, encryptionKey, logDir, notifyChannel: 'bench_bare_changes' })
              : undefined;
          if (bareNotify) servers.push(bareNotify);
          const byMethod = {};
          const rotation = { connections, durationS, warmupS, rounds };
          for (const method of methods) {
            const measured = method === 'GET' ? servers.filter((server) => server !== bareNotify) : servers;
            const figures = await compare(measured, REQUESTS[method], rotation);
            byMethod[method] = {
              servers: figures,
              ratio_info: ratio(figures, info.name, bare.name),
              ratio_silent: ratio(figures, silent.name, bare.name),
              ratio_ten_providers: ratio(figures, ten.name, info.name),
            };
            if (method === 'GET') {
              // The target's baseline: the same stack (Koa, @koa/router, pino) answering the same
              // bytes with the same five headers, at each of the service's log levels.
              const databaseOf = { info: infoDatabase, silent: silentDatabase };
              byMethod[method].against_stack = {};
              for (const level of ['info', 'silent']) {
                const pair = { databaseUrl: databaseOf[level].url, encryptionKey, level, view, etag, logDir };
                byMethod[method].against_stack[level] = await againstStack(pair, REQUESTS[method], rotation, starts);
              }
            }
            if (method !== 'GET' && bareNotify) {
              byMethod[method].ratio_info_vs_notify = ratio(figures, info.name, bareNotify.name);
              byMethod[method].ratio_silent_vs_notify = ratio(figures, silent.name, bareNotify.name);
            }
          }
          return byMethod;
        } finally {
          await Promise.all(servers.map((server) => server.stop()));
        }
      });
    } finally {
      await Promise.all(databases.map((database) => database.drop()));
    }
  }
  return { connections, duration_s: durationS, warmup_s: warmupS, rounds, starts, ...results };
}

/**
 * The service at `level` against the Koa stack at the same level, in `starts` pairs, each
 * pair two processes started for it, warmed up for PAIR_WARMUP_S and loaded in a rotation
 * of the two alone. Several starts because one start is one sample: the service started
 * again read 0.93-1.26 of itself in the same hour, the stack 0.94-1.05 (its code and data
 * land elsewhere each time); and alone in their rotation because a stack that idled through
 * other servers' rounds ran 10-20 % slower once V8's memory reducer had collected its idle
 * heap (docs/performance.md).
 * @returns each start's figures and ratio, and `ratio`: the median of the starts' ratios.
 */
async function againstStack({ databaseUrl, encryptionKey, level, view, etag, logDir }, request, rotation, starts) {
  const byStart = [];
  for (let start = 1; start <= starts; start++) {
    const servers = [];
    try {
      servers.push(await startLlmSettings({ name: `llm-settings-${level}-pair-${start}`, databaseUrl, encryptionKey, logDir, logLevel: level }));
      servers.push(await startKoaStack({ name: `koa-stack-${level}-pair-${start}`, logLevel: level, view, etag, logDir }));
      const figures = await compare(servers, request, { ...rotation, warmupS: PAIR_WARMUP_S });
      const [service, stack] = servers.map((server) => figures[server.name]);
      byStart.push({ service, stack, ratio: ratio(figures, servers[0].name, servers[1].name) });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  const medianOf = (side, figure) => median(byStart.map((pair) => pair[side][figure]));
  const summary = (side) => ({ requests_per_s: medianOf(side, 'requests_per_s'), server_cpu_us_per_request: medianOf(side, 'server_cpu_us_per_request') });
  return { ratio: median(byStart.map((pair) => pair.ratio)), service: summary('service'), stack: summary('stack'), starts: byStart };
}

/**
 * What metrics cost a cached GET: the service with METRICS=1 (the default: each request
 * counted, /metrics served) against the same with METRICS=0, on SQLite at
 * LOG_LEVEL=silent so that the log line does not hide the difference. A scrape of
 * /metrics runs once a second during the load, as Prometheus would (more often than its
 * usual 15 s). The target is at least 0.95.
 */
export async function runMetricsBench({ connections = 50, durationS = 3, warmupS = 2, rounds = 5 } = {}) {
  const configs = [
    { name: 'metrics-on', logLevel: 'silent', env: { METRICS: '1' } },
    { name: 'metrics-off', logLevel: 'silent', env: { METRICS: '0' } },
  ];
  return withSqliteServers(configs, async ([on, off]) => {
    const scraper = setInterval(() => fetch(`${on.url}/metrics`).then((response) => response.arrayBuffer()).catch(() => {}), 1000);
    try {
      const figures = await compare([on, off], REQUESTS.GET, { connections, durationS, warmupS, rounds });
      return { connections, duration_s: durationS, rounds, servers: figures, ratio: ratio(figures, on.name, off.name) };
    } finally {
      clearInterval(scraper);
    }
  });
}

/**
 * What enabling providers costs GET and PUT alone: the service with the default two
 * against the same with all ten built-ins (`TEN_PROVIDERS_ENV`), on SQLite at
 * LOG_LEVEL=info, rounds interleaved. Short enough to repeat: the bar is the
 * run-to-run noise, so one run says little.
 */
export async function runProvidersBench({ connections = 50, durationS = 3, warmupS = 2, rounds = 5 } = {}) {
  const configs = [
    { name: 'two-providers', logLevel: 'info' },
    { name: 'ten-providers', logLevel: 'info', env: TEN_PROVIDERS_ENV },
  ];
  return withSqliteServers(configs, async ([two, ten]) => {
    const byMethod = {};
    for (const method of ['GET', 'PUT']) {
      const figures = await compare([two, ten], REQUESTS[method], { connections, durationS, warmupS, rounds });
      byMethod[method] = { servers: figures, ratio_ten_providers: ratio(figures, ten.name, two.name) };
    }
    return { connections, duration_s: durationS, rounds, ...byMethod };
  });
}

/**
 * What the service's process costs code that is not the service's: the Koa stack alone
 * against the same stack served from a process that also runs the service, idle
 * (bench/koa-stack-beside-service.mjs), and the service's own GET against both, all on
 * SQLite at LOG_LEVEL=silent answering the same bytes. No target: it says how much of the
 * GET's gap to the stack comes with the process rather than the GET's path.
 * @returns the figures of the three, the ratio beside / alone and the service's over each
 *   (requests/s, median of the per-round ratios).
 */
export async function runBesideBench({ connections = 50, durationS = 3, warmupS = 2, rounds = 8 } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const database = await createDatabase('sqlite');
  try {
    await migrate(database.url);
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      const servers = [];
      try {
        const service = await startLlmSettings({ name: 'llm-settings-silent', databaseUrl: database.url, encryptionKey, logDir, logLevel: 'silent' });
        servers.push(service);
        const { view, etag } = await putSettings(service.url);
        const alone = await startKoaStack({ logLevel: 'silent', view, etag, logDir });
        servers.push(alone);
        const beside = await startKoaStackBesideService({ databaseUrl: database.url, encryptionKey, view, etag, logDir });
        servers.push(beside);
        const figures = await compare(servers, REQUESTS.GET, { connections, durationS, warmupS, rounds });
        return {
          connections,
          duration_s: durationS,
          rounds,
          servers: figures,
          ratio_beside_over_alone: ratio(figures, beside.name, alone.name),
          ratio_service_over_alone: ratio(figures, service.name, alone.name),
          ratio_service_over_beside: ratio(figures, service.name, beside.name),
        };
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
      }
    });
  } finally {
    await database.drop();
  }
}

/**
 * Runs `measure` on one instance of the service per entry of `configs` (startLlmSettings
 * options: name, logLevel, env), each on a migrated SQLite database of its own with the
 * settings stored; stops them and drops the databases afterwards.
 */
async function withSqliteServers(configs, measure) {
  const { generateFernetKey } = await dist.fernet();
  const databases = [];
  try {
    for (let i = 0; i < configs.length; i++) {
      databases.push(await createDatabase('sqlite'));
      await migrate(databases[i].url);
    }
    return await withLogDir(async (logDir) => {
      const encryptionKey = generateFernetKey();
      const servers = [];
      try {
        for (const [i, config] of configs.entries()) {
          servers.push(await startLlmSettings({ ...config, databaseUrl: databases[i].url, encryptionKey, logDir }));
        }
        for (const server of servers) await putSettings(server.url);
        return await measure(servers);
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
      }
    });
  } finally {
    await Promise.all(databases.map((database) => database.drop()));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `--metrics`: only the cost of metrics on GET; `--providers`: only ten providers against
  // two; `--get`: only GET against bare Koa and the Koa stack; `--beside`: the Koa stack
  // alone against the same beside an idle service, and the service's own GET against both.
  const run = process.argv.includes('--metrics')
    ? runMetricsBench
    : process.argv.includes('--providers')
      ? runProvidersBench
      : process.argv.includes('--get')
        ? () => runHttpBench({ methods: ['GET'] })
        : process.argv.includes('--beside')
          ? runBesideBench
          : runHttpBench;
  console.log(JSON.stringify(await run(), null, 2));
}
