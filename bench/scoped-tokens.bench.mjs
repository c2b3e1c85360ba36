// Scoped tokens: what a request with one costs beside the admin token, and what one
// verification costs.
// - GET /api/settings/llm through one server (SQLite, LOG_LEVEL=silent), rounds alternating
//   the admin token (SETTINGS_API_TOKEN: a digest compare) and a minted token of one scope
//   (an HS256 JWT verified per request, its scope's revocation time from the cache);
//   target: the scoped GET within 10 % of the admin one.
// - The median cost of one `verify`, in process, with the key set cached: a minted token
//   (HS256) and an identity provider's (RS256 from a JWKS on 127.0.0.1, fetched once),
//   presented again (the verifier's cache of verified tokens answers; target ≤ 30 µs) and,
//   for context, with that cache off (each verify checks the signature: a token's first request).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, SETTINGS_BODY, createDatabase, dist, load, median, migrate, round, startLlmSettings, withLogDir } from './support.mjs';

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const TOKEN_SECRET = 'bench-token-secret-0123456789-abcdefghijkl';
const SCOPE = 'bench-tenant';

const authJose = () => import('../packages/auth-jose/dist/index.js');
const jose = async () => import(pathToFileURL(createRequire(join(REPO_ROOT, 'packages/auth-jose/package.json')).resolve('jose')).href);

async function put(url, headers) {
  const response = await fetch(`${url}/api/settings/llm`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: SETTINGS_BODY });
  if (response.status !== 200) throw new Error(`PUT answered ${response.status}`);
}

/** @returns requests/s of GET with each token, per round and overall, and the median of the per-round ratios scoped / admin. */
export async function runScopedGetBench({ connections = 50, durationS = 3, warmupS = 2, rounds = 5 } = {}) {
  const { generateFernetKey } = await dist.fernet();
  const { createJoseTokenMinter } = await authJose();
  const database = await createDatabase('sqlite');
  try {
    await migrate(database.url);
    return await withLogDir(async (logDir) => {
      const env = { SETTINGS_API_TOKEN: ADMIN_TOKEN, SETTINGS_TOKEN_SECRET: TOKEN_SECRET };
      const server = await startLlmSettings({ name: 'scoped-tokens', databaseUrl: database.url, encryptionKey: generateFernetKey(), logDir, logLevel: 'silent', env });
      try {
        const scoped = await createJoseTokenMinter({ secrets: TOKEN_SECRET }).mint({ scope: SCOPE, can: ['read'], ttlSeconds: 3600 });
        await put(server.url, { authorization: `Bearer ${ADMIN_TOKEN}` });
        await put(server.url, { authorization: `Bearer ${ADMIN_TOKEN}`, 'llm-settings-scope': SCOPE });
        const callers = { admin: { authorization: `Bearer ${ADMIN_TOKEN}` }, scoped: { authorization: `Bearer ${scoped}` } };
        const run = (headers, duration) => load({ url: `${server.url}/api/settings/llm`, connections, duration, method: 'GET', headers });
        for (const headers of Object.values(callers)) await run(headers, warmupS);
        const perRound = { admin: [], scoped: [] };
        for (let i = 0; i < rounds; i++) {
          const order = i % 2 === 0 ? ['admin', 'scoped'] : ['scoped', 'admin'];
          for (const name of order) {
            const result = await run(callers[name], durationS);
            perRound[name].push(Math.round(result.requests.total / result.duration));
          }
        }
        const ratios = perRound.scoped.map((value, i) => value / perRound.admin[i]);
        return {
          connections,
          duration_s: durationS,
          rounds,
          admin_requests_per_s: median(perRound.admin),
          scoped_requests_per_s: median(perRound.scoped),
          rounds_requests_per_s: perRound,
          ratio: round(median(ratios)),
          ratio_spread: [round(Math.min(...ratios)), round(Math.max(...ratios))],
        };
      } finally {
        await server.stop();
      }
    });
  } finally {
    await database.drop();
  }
}

/** @returns the median µs of one verify (batches of `batch`), for a minted token and an identity provider's, keys cached, the verified-token cache on and off (`…_uncached`). */
export async function runVerifyBench({ batches = 41, batch = 500 } = {}) {
  const { Secret } = await dist.core();
  const { createJoseTokenMinter, createJoseTokenVerifier } = await authJose();
  const { SignJWT, exportJWK, generateKeyPair } = await jose();
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const jwks = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  try {
    const issuer = 'https://id.bench.test/';
    const verifierOptions = {
      secrets: TOKEN_SECRET,
      identityProvider: { jwksUrl: `http://127.0.0.1:${jwks.address().port}/jwks.json`, issuer, audience: 'llm-settings' },
      // As the server: the revocation time answered from memory.
      revokedBefore: async () => null,
    };
    const verifiers = { '': createJoseTokenVerifier(verifierOptions), _uncached: createJoseTokenVerifier({ ...verifierOptions, verifiedCacheMaxEntries: 0 }) };
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      minted_hs256: await createJoseTokenMinter({ secrets: TOKEN_SECRET }).mint({ scope: SCOPE, can: ['read'], ttlSeconds: 3600 }),
      identity_provider_rs256: await new SignJWT({ iss: issuer, aud: 'llm-settings', sub: SCOPE, iat: now, exp: now + 3600 }).setProtectedHeader({ alg: 'RS256', kid: 'bench' }).sign(privateKey),
    };
    const figures = {};
    for (const [suffix, verifier] of Object.entries(verifiers)) {
      for (const [name, token] of Object.entries(tokens)) {
        const secret = new Secret(token);
        if ((await verifier.verify(secret)) === null) throw new Error(`${name}: refused`);
        const perVerifyUs = [];
        for (let i = 0; i < batches; i++) {
          const started = performance.now();
          for (let j = 0; j < batch; j++) await verifier.verify(secret);
          perVerifyUs.push(((performance.now() - started) * 1000) / batch);
        }
        figures[`${name}${suffix}`] = { median_us: round(median(perVerifyUs), 1), min_us: round(Math.min(...perVerifyUs), 1), max_us: round(Math.max(...perVerifyUs), 1) };
      }
    }
    return figures;
  } finally {
    await new Promise((resolve) => jwks.close(resolve));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({ verify: await runVerifyBench(), get: process.argv.includes('--verify-only') ? null : await runScopedGetBench() }, null, 2));
}
