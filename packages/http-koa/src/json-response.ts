import type { AppContext } from './app-state.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Serialized bodies of frozen values: the view cache hands out the same frozen view until it changes. */
const serialized = new WeakMap<object, Buffer>();

/**
 * Answers `value` as JSON, as Koa would for an object body. A frozen value cannot
 * change, so it is serialized once and its bytes are reused by every later response.
 */
export function sendJson(ctx: AppContext, value: object): void {
  if (!Object.isFrozen(value)) {
    ctx.body = value;
    return;
  }
  let body = serialized.get(value);
  if (body === undefined) {
    body = Buffer.from(JSON.stringify(value));
    serialized.set(value, body);
  }
  // Set first: a Buffer body would otherwise be typed application/octet-stream.
  ctx.set('Content-Type', JSON_CONTENT_TYPE);
  ctx.body = body;
}
