import type Koa from 'koa';
import type { AppContext, AppState } from './app-state.js';
import { commonHeaders, setHeaders } from './common-headers.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Serialized bodies of frozen values: the view cache hands out the same frozen view until it changes. */
const serialized = new WeakMap<object, Buffer>();

/** Apps whose cached answers may be written directly to the socket (see `sendJson`). */
const directApps = new WeakSet<Koa<AppState>>();

/** Lets `sendJson` answer `app`'s own requests directly; `createHttpApp` calls it on the app it builds. */
export function allowDirectAnswers(app: Koa<AppState>): void {
  directApps.add(app);
}

/**
 * Answers `value` as JSON with status 200, as Koa would for an object body, with
 * `headers` (a flat name/value list) besides the common ones. A frozen value cannot
 * change, so it is serialized once and its bytes are reused by every later answer.
 * Those answers are written straight to the socket, every header in one `writeHead`
 * call, when the request belongs to one of our apps: Koa sets headers one at a time,
 * and that costs more than the rest of a cached GET. When our app is mounted inside
 * another, `ctx.app` is the other app, whose middleware may still change the answer
 * after `next()`, so Koa answers as usual.
 */
export function sendJson(ctx: AppContext, value: object, headers: readonly string[] = []): void {
  const body = Object.isFrozen(value) ? bytesOf(value) : undefined;
  if (body !== undefined && directApps.has(ctx.app)) {
    ctx.respond = false;
    ctx.res.writeHead(200, [...commonHeaders(ctx), ...headers, 'Content-Type', JSON_CONTENT_TYPE, 'Content-Length', String(body.length)]);
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
    return;
  }
  setHeaders(ctx, headers);
  if (body === undefined) {
    ctx.body = value;
    return;
  }
  // Set first: a Buffer body would otherwise be typed application/octet-stream.
  ctx.set('Content-Type', JSON_CONTENT_TYPE);
  ctx.body = body;
}

function bytesOf(value: object): Buffer {
  let body = serialized.get(value);
  if (body === undefined) {
    body = Buffer.from(JSON.stringify(value));
    serialized.set(value, body);
  }
  return body;
}
