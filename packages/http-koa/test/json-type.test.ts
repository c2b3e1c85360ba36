import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJsonAnswer, isJsonRequest } from '../src/json-type.js';

/** Each check next to type-is's own answer to the same question, on a real Koa server. */
const app = new Koa();
app.use((ctx) => {
  const request = { ours: isJsonRequest(ctx), typeIs: Boolean(ctx.request.is('application/json')) };
  const answerType = ctx.get('x-answer-type');
  if (answerType !== '') ctx.set('content-type', answerType);
  const answer = { ours: isJsonAnswer(ctx), typeIs: Boolean(ctx.response.is('json')) };
  ctx.set('content-type', 'application/json');
  ctx.body = JSON.stringify({ request, answer });
});
let server: ReturnType<Koa['listen']>;
let port: number;
beforeAll(async () => {
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

type Checks = Record<'request' | 'answer', { ours: boolean; typeIs: boolean }>;

function ask(method: string, headers: Record<string, string>, body: string | null): Promise<Checks> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text) as Checks));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
  'Application/JSON',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'application/jsonx',
  'text/plain',
  'text/event-stream',
];

describe('the JSON type checks', () => {
  it.each(TYPES)('agree with type-is on a request and an answer of type %s', async (type) => {
    const checks = await ask('POST', { 'content-type': type, 'content-length': '2', 'x-answer-type': type }, '{}');
    expect(checks.request.ours).toBe(checks.request.typeIs);
    expect(checks.answer.ours).toBe(checks.answer.typeIs);
    expect(checks.request.ours).toBe(type.toLowerCase().startsWith('application/json;') || type.toLowerCase() === 'application/json');
  });

  it.each([
    ['a Content-Length', { 'content-length': '2' }, true],
    ['chunked transfer', { 'transfer-encoding': 'chunked' }, true],
    ['neither', {}, false],
  ])('agree with type-is on whether a JSON request has a body: %s', async (_, headers: Record<string, string>, hasBody) => {
    const checks = await ask('GET', { 'content-type': 'application/json', ...headers }, hasBody ? '{}' : null);
    expect(checks.request).toEqual({ ours: hasBody, typeIs: hasBody });
  });

  it('agree on an answer without a type', async () => {
    expect((await ask('GET', {}, null)).answer).toEqual({ ours: false, typeIs: false });
  });
});
