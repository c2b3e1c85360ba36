// The baseline of the HTTP benchmarks: a bare Koa app doing the same work as the
// service's routes with nothing else — no validation, version check, auth, error
// mapping, request id, response headers or logging.
//   GET /api/settings/llm  answers the JSON given in BARE_VIEW. With BARE_ETAG, also the
//                          response headers of the service's contract: X-Request-Id,
//                          Cache-Control: no-store, X-Content-Type-Options and that ETag.
//   PUT /api/settings/llm  encrypts the body's settings with the same Fernet cipher and
//                          upserts the token with the same SQL, knex and pool settings,
//                          under the key of the LLM-Settings-Scope header's scope.
//                          With BARE_NOTIFY_CHANNEL (PostgreSQL), the statement also
//                          NOTIFYs the key, as the service does to tell its other instances.
//   POST /api/llm/openai/v1/chat/completions
//                          forwards the body to BARE_OPENAI_URL with BARE_OPENAI_KEY as a
//                          bearer token through Node's HTTP client (its keep-alive agent),
//                          and answers with the provider's status, content type and body,
//                          read whole as the service reads a JSON answer.
//   POST /api/llm/anthropic/v1/messages
//                          forwards the body to BARE_ANTHROPIC_URL with BARE_ANTHROPIC_KEY
//                          in x-api-key the same way, and answers with the provider's
//                          status, content type, request-id (by which the benchmark pairs
//                          the events it reads with those written) and body, a stream set
//                          as Koa's body, so that an event stream is passed on as it comes.
// Environment: PORT, DATABASE_URL, ENCRYPTION_KEY, BARE_VIEW, BARE_ETAG, BARE_NOTIFY_CHANNEL,
// BARE_OPENAI_URL, BARE_OPENAI_KEY, BARE_ANTHROPIC_URL, BARE_ANTHROPIC_KEY.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createFernetCipher } from '../packages/crypto-fernet/dist/index.js';
import { createKnexFromUrl } from '../packages/storage-knex/dist/index.js';

const Koa = createRequire(new URL('../packages/server/package.json', import.meta.url))('koa');
const postgres = !process.env.DATABASE_URL.startsWith('sqlite:');
const knex = createKnexFromUrl(process.env.DATABASE_URL);
const cipher = createFernetCipher({ keys: process.env.ENCRYPTION_KEY });
const view = JSON.parse(process.env.BARE_VIEW ?? '{}');
const etag = process.env.BARE_ETAG;

const UPSERT =
  'INSERT INTO ?? AS t ("key", "value", "version", "updated_at") VALUES (?, ?, 1, ?) ' +
  'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value", "version" = t."version" + 1, "updated_at" = excluded."updated_at" ' +
  'RETURNING "key", "value", "version", "updated_at"';

const notifyChannel = postgres ? process.env.BARE_NOTIFY_CHANNEL : undefined;
const WRITE = notifyChannel
  ? `WITH written AS (${UPSERT}) SELECT written.*, pg_notify(?, json_build_object('k', written."key")::text) FROM written`
  : UPSERT;

async function readBytes(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function readJson(req) {
  return JSON.parse((await readBytes(req)).toString('utf8'));
}

function forward(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/api/settings/llm' && ctx.method === 'GET') {
    if (etag) {
      ctx.set('X-Request-Id', randomUUID());
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('ETag', etag);
    }
    ctx.body = view;
  } else if (ctx.path === '/api/settings/llm' && ctx.method === 'PUT') {
    const { provider, model, api_key } = await readJson(ctx.req);
    const scope = ctx.get('llm-settings-scope');
    // The scope inside the token, as the service writes it: the service reads these rows too.
    const token = await cipher.encrypt(JSON.stringify({ provider, model, api_key, scope: scope === '' ? 'default' : scope }));
    const now = new Date();
    const key = scope === '' ? 'llm_config' : `llm_config:${scope}`;
    const bindings = ['settings', key, token, postgres ? now : now.toISOString(), ...(notifyChannel ? [notifyChannel] : [])];
    const result = await knex.raw(WRITE, bindings);
    const [row] = postgres ? result.rows : result;
    ctx.body = { provider, model, api_key_set: true, version: Number(row.version), updated_at: now.toISOString() };
  } else if (ctx.path === '/api/llm/openai/v1/chat/completions' && ctx.method === 'POST') {
    const body = await readBytes(ctx.req);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env.BARE_OPENAI_KEY}`, 'content-length': body.length };
    const answer = await forward(process.env.BARE_OPENAI_URL, headers, body);
    ctx.status = answer.statusCode;
    ctx.type = answer.headers['content-type'];
    ctx.body = await readBytes(answer);
  } else if (ctx.path === '/api/llm/anthropic/v1/messages' && ctx.method === 'POST') {
    const body = await readBytes(ctx.req);
    const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': process.env.BARE_ANTHROPIC_KEY, 'content-length': body.length };
    const answer = await forward(process.env.BARE_ANTHROPIC_URL, headers, body);
    ctx.status = answer.statusCode;
    ctx.type = answer.headers['content-type'];
    ctx.set('request-id', answer.headers['request-id']);
    ctx.body = answer;
  } else if (ctx.path === '/healthz') {
    ctx.body = { status: 'ok' };
  } else {
    ctx.status = 404;
  }
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    knex.destroy().finally(() => process.exit(0));
  });
}
