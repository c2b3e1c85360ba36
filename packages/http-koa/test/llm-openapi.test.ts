import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, type OpenApiDocument } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';
import { expectRefsResolve } from './openapi-refs.js';

type Json = Record<string, any>;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const LLM_OPERATIONS = [
  'POST /api/llm/anthropic/v1/messages',
  'POST /api/llm/anthropic/v1/messages/count_tokens',
  'GET /api/llm/anthropic/v1/models',
  'POST /api/llm/openai/v1/chat/completions',
  'POST /api/llm/openai/v1/responses',
  'POST /api/llm/openai/v1/embeddings',
  'GET /api/llm/openai/v1/models',
];

const operations = (document: OpenApiDocument) =>
  Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op: op as Json })));

describe('OpenAPI document of the LLM pass-through', () => {
  it.each([
    { bearerAuth: true, hostCheck: false, llm: true },
    { bearerAuth: false, hostCheck: true, llm: true },
  ])('is a valid OpenAPI 3.1 document (%o)', async (options) => {
    const document = buildOpenApiDocument(options);
    const result = await new Validator().validate(structuredClone(document) as Json);
    expect(result.errors).toBeUndefined();
    expectRefsResolve(document);
  });

  it('describes the pass-through only when the app serves it', () => {
    const ids = (document: OpenApiDocument) => operations(document).map(({ id }) => id);
    expect(ids(buildOpenApiDocument({ llm: true }))).toEqual(expect.arrayContaining(LLM_OPERATIONS));
    expect(ids(buildOpenApiDocument()).filter((id) => id.includes('/api/llm/'))).toEqual([]);
    expect(buildOpenApiDocument().components.securitySchemes).not.toHaveProperty('apiKeyAuth');
  });

  it('takes the token either way on the pass-through, the scope header, and the answers of its own', () => {
    const document = buildOpenApiDocument({ bearerAuth: true, llm: true });
    expect((document.components.securitySchemes as Json).apiKeyAuth).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }));
    for (const { id, op } of operations(document).filter(({ id }) => id.includes('/api/llm/'))) {
      expect(op.security, id).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }]);
      expect(op.parameters, id).toContainEqual({ $ref: '#/components/parameters/Scope' });
      expect(Object.keys(op.responses), id).toEqual(expect.arrayContaining(['200', '401', '403', '409', '429', '502', '504', 'default']));
      if (id.startsWith('POST ')) expect(Object.keys(op.responses), id).toEqual(expect.arrayContaining(['408', '413']));
      if (id.startsWith('POST ')) expect(op.responses['415'], id).toEqual({ $ref: '#/components/responses/UnsupportedMediaType' });
    }
    const messages = (document.paths['/api/llm/anthropic/v1/messages'] as Json).post;
    expect(Object.keys(messages.responses['200'].content)).toEqual(['application/json', 'text/event-stream']);
    expect(messages.responses['200'].headers).toHaveProperty('request-id');
    const chat = (document.paths['/api/llm/openai/v1/chat/completions'] as Json).post;
    expect(chat.responses['200'].headers).toHaveProperty('x-upstream-request-id');
    const models = (document.paths['/api/llm/anthropic/v1/models'] as Json).get;
    expect(models.parameters.map((p: Json) => p.name).filter(Boolean)).toEqual(['limit', 'after_id', 'before_id']);
  });

  it('is served by an app with the pass-through, listing exactly the operations it answers', async () => {
    server = await startServer({ llm: { baseUrls: { anthropic: 'http://127.0.0.1:9', openai: 'http://127.0.0.1:9/v1' } } });
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as OpenApiDocument;
    expect(document).toEqual(buildOpenApiDocument({ bearerAuth: false, llm: true }));
    for (const { id } of operations(document).filter(({ id }) => id.includes('/api/llm/'))) {
      const [method, path] = id.split(' ') as [string, string];
      // Nothing is stored: every pass-through route answers 409, none 404 or 405.
      const body = method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {};
      expect((await fetch(`${server.url}${path}`, { method, ...body })).status, id).toBe(409);
    }
  });
});
