import type { Context } from 'koa';

/**
 * The spellings of the JSON type that the SDKs send and the providers answer with,
 * recognised as they are before type-is is asked, which parses the type on each check
 * (about 12,000 instructions each, on every pass-through call).
 */
const PLAIN_JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8']);

/** `ctx.request.is('application/json')`, true or false: false for a request without a body too. */
export function isJsonRequest(ctx: Context): boolean {
  const { headers } = ctx.req;
  const type = headers['content-type'];
  // type-is's own test of a body: a Transfer-Encoding, or a Content-Length that is a number.
  if (type !== undefined && PLAIN_JSON_TYPES.has(type)) return headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(headers['content-length']));
  return Boolean(ctx.request.is('application/json'));
}

/** `ctx.response.is('json')`, true or false: whether the answer set so far is `application/json`. */
export function isJsonAnswer(ctx: Context): boolean {
  return PLAIN_JSON_TYPES.has(ctx.response.get('content-type')) || Boolean(ctx.response.is('json'));
}
