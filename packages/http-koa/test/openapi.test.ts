import { Validator } from '@seriousme/openapi-schema-validator';
import { ENABLED_PROVIDER_IDS, ErrorCodes, LlmSettingsUpdateSchema, LlmTestResultSchema, UsageMeter } from '@llm-settings/core';
import { createMemoryUsageStore } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, HttpErrorCodes, type OpenApiDocument } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';
import { expectRefsResolve } from './openapi-refs.js';

type Json = Record<string, any>;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('buildOpenApiDocument', () => {
  it.each([
    { bearerAuth: true, hostCheck: false },
    { bearerAuth: false, hostCheck: false },
    { bearerAuth: true, hostCheck: true },
    { bearerAuth: true, hostCheck: false, basePath: '/settings-api' },
    { bearerAuth: true, hostCheck: true, usage: true },
  ])('is a valid OpenAPI 3.1 document (%o)', async (options) => {
    const document = buildOpenApiDocument(options);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as Json);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expectRefsResolve(document);
  });

  it('names the basePath as its server, and no server at the root', () => {
    expect(buildOpenApiDocument({ basePath: '/settings-api' }).servers).toEqual([{ url: '/settings-api' }]);
    expect(buildOpenApiDocument()).not.toHaveProperty('servers');
  });

  it('generates the bodies from the core zod schemas', () => {
    const schemas = buildOpenApiDocument().components.schemas as Json;
    const { $schema: _ignored, ...expectedUpdate } = LlmSettingsUpdateSchema.toJSONSchema({ target: 'draft-2020-12', io: 'input' }) as Json;
    expect(schemas.LlmSettingsUpdate).toMatchObject(expectedUpdate);
    expect(schemas.LlmSettingsUpdate.properties.provider.enum).toEqual([...ENABLED_PROVIDER_IDS]);
    expect(schemas.LlmSettingsUpdate.additionalProperties).toBe(false);
    // api_key may be left out for a provider that takes no key (the body's refinement checks the rest).
    expect(schemas.LlmTestCandidate.required).toEqual(['provider']);
    expect(schemas.LlmSettingsView.required).toEqual(['provider', 'model', 'api_key_set', 'api_key_masked', 'updated_at', 'model_verified', 'api_key_source', 'inherit_from']);
    expect(schemas.LlmHistoryPage.required).toEqual(['entries', 'next']);
    expect(schemas.LlmTestResult.properties.code.enum).toEqual(LlmTestResultSchema.shape.code.options);
    for (const schema of Object.values(schemas)) expect(schema).not.toHaveProperty('$schema');
  });

  it('lists every problem code and describes the problem shape', () => {
    const problem = (buildOpenApiDocument().components.schemas as Json).Problem;
    expect(problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(problem.properties.code.enum).toEqual(expect.arrayContaining([...Object.values(ErrorCodes), ...Object.values(HttpErrorCodes)]));
  });

  it('describes ETag, If-Match, Retry-After and the problem responses', () => {
    const document = buildOpenApiDocument();
    const settings = document.paths['/api/settings/llm'] as Json;
    expect(settings.get.responses['200'].headers.ETag).toEqual({ $ref: '#/components/headers/ETag' });
    expect(settings.put.responses['200'].headers.ETag).toEqual({ $ref: '#/components/headers/ETag' });
    for (const operation of [settings.put, settings.delete]) {
      expect(operation.parameters).toContainEqual({ $ref: '#/components/parameters/IfMatch' });
      expect(operation.responses['412']).toEqual({ $ref: '#/components/responses/PreconditionFailed' });
    }
    const responses = document.components.responses as Json;
    expect(responses.ServiceUnavailable.headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    expect(responses.TooManyRequests.headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    expect(responses.MethodNotAllowed.headers.Allow).toEqual({ $ref: '#/components/headers/Allow' });
    expect(Object.keys(responses.BadRequest.content)).toEqual(['application/problem+json']);
    expect((document.paths['/api/settings/llm/test'] as Json).post.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
  });

  it('requires the bearer scheme on the settings routes only, and only when enabled', () => {
    const secured = buildOpenApiDocument({ bearerAuth: true });
    expect((secured.components.securitySchemes as Json).bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operations = (document: OpenApiDocument) =>
      Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => ({ path, method, op: op as Json })));
    for (const { path, op } of operations(secured)) {
      if (path.startsWith('/api/settings')) {
        expect(op.security, path).toEqual([{ bearerAuth: [] }]);
        expect(op.responses['401'], path).toEqual({ $ref: '#/components/responses/Unauthorized' });
      } else {
        expect(op.security, path).toBeUndefined();
      }
    }
    const open = buildOpenApiDocument({ bearerAuth: false });
    expect(open.components.securitySchemes).toBeUndefined();
    for (const { op } of operations(open)) expect(op.security).toBeUndefined();
  });

  it('lists the Origin refusal on every operation, and the Host refusal when the app checks it', () => {
    const operations = (document: OpenApiDocument) =>
      Object.entries(document.paths).flatMap(([path, item]) => Object.values(item as Json).map((op) => ({ path, op: op as Json })));
    for (const { path, op } of operations(buildOpenApiDocument({ hostCheck: true, llm: true }))) {
      expect(op.responses['421'], path).toEqual({ $ref: '#/components/responses/MisdirectedRequest' });
      expect(op.responses['403'], path).toEqual({ $ref: '#/components/responses/ForbiddenOrigin' });
    }
    for (const { path, op } of operations(buildOpenApiDocument({ llm: true }))) {
      expect(Object.keys(op.responses), path).not.toContain('421');
      expect(op.responses['403'], path).toEqual({ $ref: '#/components/responses/ForbiddenOrigin' });
    }
  });
});

describe('the bearer scheme in the served document', () => {
  it('is declared, with its 401, for an app that takes scoped tokens without an API token', async () => {
    server = await startServer({ tokenVerifier: { verify: async () => null } });
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as Json;
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const read = document.paths['/api/settings/llm'].get;
    expect(read.security).toEqual([{ bearerAuth: [] }]);
    expect(read.responses[401]).toBeDefined();
    // What the document says is what the app does: a refused token is a 401.
    const refused = await fetch(`${server.url}/api/settings/llm`, { headers: { authorization: 'Bearer not-a-token-0123456789' } });
    expect(refused.status).toBe(401);
  });
});

describe('the usage route in the document', () => {
  it('is documented when the app counts usage: its dates, the scope header and the row shape', () => {
    const operation = (buildOpenApiDocument({ usage: true }).paths['/api/settings/llm/usage'] as Json).get as Json;
    expect(operation.parameters.filter((parameter: Json) => parameter.in === 'query').map((parameter: Json) => [parameter.name, parameter.required])).toEqual([
      ['from', true],
      ['to', true],
    ]);
    expect(operation.parameters).toContainEqual({ $ref: '#/components/parameters/Scope' });
    const rows = operation.responses[200].content['application/json'].schema.properties.rows;
    expect(rows.items.required).toEqual(['date', 'provider', 'model', 'calls', 'failed_calls', 'input_tokens', 'output_tokens', 'cached_input_tokens']);
    expect(operation.security).toEqual([{ bearerAuth: [] }]);
    expect(buildOpenApiDocument({}).paths).not.toHaveProperty('/api/settings/llm/usage');
  });

  it('is served, and answered, by an app with the usage option', async () => {
    const meter = new UsageMeter({ store: createMemoryUsageStore() });
    try {
      server = await startServer({ usage: meter });
      const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as OpenApiDocument;
      expect(document).toEqual(buildOpenApiDocument({ bearerAuth: false, usage: true }));
      const answer = await fetch(`${server.url}/api/settings/llm/usage?from=2026-01-01&to=2026-01-31`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ rows: [] });
    } finally {
      await meter.close();
    }
  });
});

describe('GET /api/openapi.json', () => {
  it('serves the document matching the app configuration', async () => {
    server = await startServer({ apiToken: 'token-1234-abcdefgh' });
    const response = await fetch(`${server.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(buildOpenApiDocument({ bearerAuth: true }));
  });

  it('describes the Host and Origin checks when the app has allowedHosts', async () => {
    server = await startServer({ allowedHosts: [] });
    const response = await fetch(`${server.url}/api/openapi.json`);
    expect(await response.json()).toEqual(buildOpenApiDocument({ bearerAuth: false, hostCheck: true }));
  });

  it('documents exactly the operations the app answers', async () => {
    server = await startServer();
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as OpenApiDocument;
    expect(document).toEqual(buildOpenApiDocument({ bearerAuth: false }));
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item as Json).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(
      [
        'GET /api/settings/llm/providers',
        'GET /api/settings/llm/whoami',
        'GET /api/settings/llm',
        'PUT /api/settings/llm',
        'DELETE /api/settings/llm',
        'POST /api/settings/llm/test',
        'GET /api/settings/llm/history',
        'GET /api/settings/llm/models',
        'POST /api/settings/llm/models',
        'GET /api/openapi.json',
        'GET /healthz',
        'GET /readyz',
      ].sort(),
    );
    for (const operation of documented) {
      const [method, path] = operation.split(' ') as [string, string];
      const response = await fetch(`${server.url}${path}`, { method });
      expect([404, 405], operation).not.toContain(response.status);
      const allow = (await fetch(`${server.url}${path}`, { method: 'PATCH' })).headers.get('allow') ?? '';
      expect(allow.split(', '), operation).toContain(method);
    }
  });
});
