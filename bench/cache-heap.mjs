// The live JS heap each of the service's in-memory caches holds when full, measured in
// this process (`node --expose-gc bench/cache-heap.mjs`): each cache is filled through
// the same classes the server composes, and the heap used after a full collection is
// read before and after. The model-list cache, bounded in bytes, is filled past its budget
// (each listed model with an id and a display name) and its whole size read. What the
// calls in flight hold (request bodies, whole answers) is Buffers outside the JS heap:
// `external_mb` reads them. Prints one JSON object; see docs/performance.md, "Memory".
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { dist, round } from './support.mjs';

/** The bounds of the server's caches, as composed by packages/server (defaults). */
const VIEW_CACHE_ENTRIES = 10_000;
const VERIFIED_TOKENS = 10_000;
const REVOCATION_ENTRIES = 10_000;
const USAGE_PENDING_ROWS = 100_000;
const MAX_LISTED_MODELS = 2_000;
const MAX_SCOPE = 128;

const mb = (bytes) => round(bytes / 2 ** 20, 2);

function heapUsed() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Heap used by what `fill` keeps (it returns it, so that it stays reachable until read). */
async function heapOf(fill) {
  const before = heapUsed();
  const kept = await fill();
  const after = heapUsed();
  // Used after the reading, so that what it holds is not collected before.
  kept.toString();
  return after - before;
}

/** A scope of the longest kind (128 characters), distinct per `i`. */
const longScope = (i) => `s${String(i).padStart(8, '0')}-${'x'.repeat(MAX_SCOPE - 10)}`;
const apiKey = (i) => `sk-proj-${randomBytes(60).toString('base64url')}${i}`;

async function services({ models = () => [] }) {
  const core = await dist.core();
  const testing = await dist.coreTesting();
  const { createFernetCipher, generateFernetKey } = await dist.fernet();
  const store = testing.createMemorySettingsStore();
  const cipher = createFernetCipher({ keys: generateFernetKey() });
  // Each listing parsed from an answer of its own (flat strings, none shared), as the provider-probe's are.
  let listed = 0;
  const answer = (ids) => JSON.stringify(ids.map((id) => ({ id, displayName: id.toUpperCase() })));
  const lister = { listModels: async () => ({ code: 'ok', models: JSON.parse(answer(models(listed++))), message: 'listed', latencyMs: 0 }) };
  const service = new core.LlmSettingsService({ store, cipher, probe: testing.createScriptedProbe(), viewCache: true, modelLister: lister, modelListCache: true });
  const save = (i) => service.update({ provider: 'openai', api_key: apiKey(i), model: 'gpt-4o' }, { scope: longScope(i) });
  return { core, store, cipher, service, save };
}

/** The view cache: each scope's stored record and masked view, its JSON included. */
async function viewCache(count) {
  const { service, save } = await services({});
  for (let i = 0; i < count; i++) await save(i);
  return heapOf(async () => {
    for (let i = 0; i < count; i++) await service.get({ scope: longScope(i) });
    return service;
  });
}

/** The model-list cache, for `count` scopes listing `models(i)` each. */
async function modelLists(count, models) {
  const { service, save } = await services({ models });
  for (let i = 0; i < count; i++) await save(i);
  for (let i = 0; i < count; i++) await service.get({ scope: longScope(i) });
  return heapOf(async () => {
    for (let i = 0; i < count; i++) await service.listModels({ scope: longScope(i) });
    return service;
  });
}

/** The verified-token cache: minted tokens of the longest scopes, each verified once. */
async function verifiedTokens(count) {
  const { createJoseTokenMinter, createJoseTokenVerifier } = await import('../packages/auth-jose/dist/index.js');
  const { Secret } = await dist.core();
  const secrets = randomBytes(32).toString('hex');
  const minter = createJoseTokenMinter({ secrets });
  const verifier = createJoseTokenVerifier({ secrets });
  const tokens = [];
  for (let i = 0; i < count; i++) tokens.push(await minter.mint({ scope: longScope(i), can: ['read', 'write', 'test', 'models', 'use'], ttlSeconds: 3600 }));
  return heapOf(async () => {
    for (const token of tokens) if ((await verifier.verify(new Secret(token))) === null) throw new Error('a minted token was refused');
    return verifier;
  });
}

/** Token revocations: one time (here none) per scope seen. */
async function revocations(count) {
  const { core, store, cipher } = await services({});
  const times = new core.TokenRevocations(store, cipher, { maxEntries: count });
  return heapOf(async () => {
    for (let i = 0; i < count; i++) await times.revokedBefore(longScope(i));
    return times;
  });
}

/** The usage meter's counts waiting for their batch: distinct scope, model rows. */
async function usagePending(count) {
  const core = await dist.core();
  const { createMemoryUsageStore } = await dist.coreTesting();
  const meter = new core.UsageMeter({ store: createMemoryUsageStore(), flushMs: 3_600_000 });
  const usage = { inputTokens: 10, outputTokens: 20, cachedInputTokens: 0 };
  const bytes = await heapOf(async () => {
    for (let i = 0; i < count; i++) meter.record({ scope: longScope(i), provider: 'openai', model: `model-${i}-${'m'.repeat(60)}`, status: 200, usage });
    return meter;
  });
  await meter.close();
  return bytes;
}

/** One cache's size per entry (measured over `sample` entries) and when it holds `bound`. */
function sized(bytes, sample, bound) {
  const perEntry = bytes / sample;
  return { per_entry_kb: round(perEntry / 1024, 2), bound, full_mb: mb(perEntry * bound) };
}

export async function runCacheHeap() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const typicalModels = (i) => Array.from({ length: 350 }, (_, m) => `vendor-${m % 40}/model-${m}-${i}-${'v'.repeat(12)}`);
  const longestModels = (i) => Array.from({ length: MAX_LISTED_MODELS }, (_, m) => `${i}-${m}-`.padEnd(256, 'm'));
  const caches = {
    view_cache: sized(await viewCache(2_000), 2_000, VIEW_CACHE_ENTRIES),
    // Twice as many scopes as the default 16 MiB holds of each kind of list.
    model_lists_350_models_named: { scopes: 600, full_mb: mb(await modelLists(600, typicalModels)) },
    model_lists_2000_ids_and_names_of_256: { scopes: 30, full_mb: mb(await modelLists(30, longestModels)) },
    verified_tokens: sized(await verifiedTokens(2_000), 2_000, VERIFIED_TOKENS),
    token_revocations: sized(await revocations(2_000), 2_000, REVOCATION_ENTRIES),
    usage_pending: sized(await usagePending(20_000), 20_000, USAGE_PENDING_ROWS),
  };
  return { node: process.version, scope_chars: MAX_SCOPE, caches };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runCacheHeap(), null, 2));
}
