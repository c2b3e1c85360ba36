import {
  LlmSettingsUpdateSchema,
  LlmSettingsViewSchema,
  LlmTestCandidateSchema,
  LlmTestResultSchema,
  ENABLED_PROVIDER_IDS,
} from '@llm-settings/core';
import { HEALTH_PATH, READY_PATH } from './health-routes.js';
import { PROBLEM_CODES, PROBLEM_CONTENT_TYPE, RETRY_AFTER_SECONDS } from './problems.js';
import { SETTINGS_PATH, SETTINGS_TEST_PATH } from './settings-routes.js';

export const OPENAPI_PATH = '/api/openapi.json';

/** An OpenAPI 3.1 document as plain JSON data. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, unknown>;
  components: Record<string, unknown>;
}

export interface OpenApiOptions {
  /**
   * Whether the settings routes require a bearer token (the app's `apiToken` is set).
   * @default true
   */
  bearerAuth?: boolean;
  /**
   * Whether the app checks Host and Origin (the app's `allowedHosts` is set), so that every
   * operation may answer 421 and 403.
   * @default false
   */
  hostCheck?: boolean;
}

type JsonObject = Record<string, unknown>;

/** A core zod schema as a JSON Schema (draft 2020-12, OpenAPI 3.1's dialect), for the given side of the wire. */
function fromZod(schema: { toJSONSchema(params: { target: 'draft-2020-12'; io: 'input' | 'output' }): object }, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = schema.toJSONSchema({ target: 'draft-2020-12', io }) as JsonObject;
  return rest;
}

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });
const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ref('schemas', 'Problem') } };

function problemResponse(description: string, headers: JsonObject = {}): JsonObject {
  return { description, headers: { 'X-Request-Id': ref('headers', 'XRequestId'), ...headers }, content: problemContent };
}

function schemas(): JsonObject {
  return {
    LlmSettingsUpdate: {
      ...fromZod(LlmSettingsUpdateSchema, 'input'),
      description:
        'Settings to save. Without api_key the stored key is kept (the provider must then be unchanged); without model the provider default is used. Unknown fields are rejected.',
    },
    LlmTestCandidate: {
      ...fromZod(LlmTestCandidateSchema, 'input'),
      description: 'Settings to test without storing them.',
    },
    LlmSettingsView: {
      ...fromZod(LlmSettingsViewSchema, 'output'),
      description: 'The settings as clients see them: never the key, only whether one is set and its mask.',
    },
    LlmTestResult: fromZod(LlmTestResultSchema, 'output'),
    ValidationIssue: {
      type: 'object',
      required: ['path', 'message'],
      properties: {
        path: { type: 'string', description: 'The field (or header) at fault; `(body)` for the body as a whole.' },
        message: { type: 'string', description: 'What is wrong; never quotes the value.' },
      },
    },
    Problem: {
      type: 'object',
      description: 'An RFC 9457 problem. It never contains a stack trace or any part of the request body.',
      required: ['type', 'title', 'status', 'detail', 'code'],
      properties: {
        type: { type: 'string', format: 'uri', description: 'Stable URN of the problem kind, e.g. urn:llm-settings:problem:settings.precondition-failed.' },
        title: { type: 'string' },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        detail: { type: 'string' },
        code: { type: 'string', enum: [...PROBLEM_CODES], description: 'Stable machine-readable code.' },
        errors: { type: 'array', items: ref('schemas', 'ValidationIssue'), description: 'Present for validation failures.' },
      },
    },
    Health: {
      type: 'object',
      required: ['status'],
      properties: { status: { const: 'ok' } },
    },
    Readiness: {
      type: 'object',
      required: ['status', 'checks'],
      properties: {
        status: { type: 'string', enum: ['ready', 'not_ready'] },
        checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'fail'] } },
      },
    },
  };
}

/** The answers of the Host and Origin checks, which run before every route. */
function hostCheckResponses(hostCheck: boolean): JsonObject {
  return hostCheck ? { 403: ref('responses', 'ForbiddenOrigin'), 421: ref('responses', 'MisdirectedRequest') } : {};
}

function components(bearerAuth: boolean, hostCheck: boolean): JsonObject {
  return {
    schemas: schemas(),
    parameters: {
      IfMatch: {
        name: 'If-Match',
        in: 'header',
        required: false,
        description:
          'Apply the change only if the settings are at this version: `*` (they exist) or a list of ETags from earlier responses. Weak tags never match.',
        schema: { type: 'string' },
      },
      XRequestId: {
        name: 'X-Request-Id',
        in: 'header',
        required: false,
        description: 'Request id to use in logs; up to 128 of A-Z a-z 0-9 . _ : @ + = / -. Otherwise one is generated.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9._:@+=/-]{1,128}$' },
      },
    },
    headers: {
      ETag: { description: 'Version of the settings, for If-Match.', schema: { type: 'string' } },
      XRequestId: { description: 'The request id, as received or generated.', schema: { type: 'string' } },
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0, examples: [RETRY_AFTER_SECONDS] } },
      Allow: { description: 'Methods the resource supports.', schema: { type: 'string' } },
      WWWAuthenticate: { description: 'The bearer challenge.', schema: { type: 'string' } },
    },
    responses: {
      BadRequest: problemResponse('Invalid input: malformed JSON, wrong types, unknown fields, an unsupported provider, a masked-looking key or a malformed If-Match. `errors` lists the fields.'),
      Unauthorized: problemResponse('Missing or invalid bearer token.', { 'WWW-Authenticate': ref('headers', 'WWWAuthenticate') }),
      ...(hostCheck
        ? {
            ForbiddenOrigin: problemResponse('The Origin header names another site: requests from pages of other sites are refused.'),
            MisdirectedRequest: problemResponse('The Host header names a host this server does not serve (DNS rebinding), or is missing or malformed.'),
          }
        : {}),
      NotFound: problemResponse('No resource at this path.'),
      MethodNotAllowed: problemResponse('The resource does not support this method.', { Allow: ref('headers', 'Allow') }),
      Conflict: problemResponse(
        'SETTINGS.CONFLICT: changed concurrently; CRYPTO.UNDECRYPTABLE / SETTINGS.CORRUPTED: the stored settings cannot be used with the configured encryption key (save new settings to replace them); SETTINGS.NOT_CONFIGURED: nothing to test.',
      ),
      PreconditionFailed: problemResponse('If-Match does not hold.'),
      PayloadTooLarge: problemResponse('The body exceeds the size limit.'),
      UnsupportedMediaType: problemResponse('The body is not application/json.'),
      TooManyRequests: problemResponse('Too many connection tests are running.', { 'Retry-After': ref('headers', 'RetryAfter') }),
      InternalError: problemResponse('An unexpected error; the detail says nothing about internals.'),
      ServiceUnavailable: problemResponse('The settings storage is unavailable.', { 'Retry-After': ref('headers', 'RetryAfter') }),
    },
    ...(bearerAuth ? { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API token configured on the server.' } } } : {}),
  };
}

function settingsPaths(bearerAuth: boolean, hostCheck: boolean): JsonObject {
  const secured = bearerAuth ? { security: [{ bearerAuth: [] }] } : {};
  const auth = bearerAuth ? { 401: ref('responses', 'Unauthorized') } : {};
  const requestId = ref('parameters', 'XRequestId');
  const ifMatch = ref('parameters', 'IfMatch');
  const viewResponse = (description: string) => ({
    description,
    headers: { ETag: ref('headers', 'ETag'), 'X-Request-Id': ref('headers', 'XRequestId') },
    content: json(ref('schemas', 'LlmSettingsView')),
  });
  const common = { ...auth, ...hostCheckResponses(hostCheck), 500: ref('responses', 'InternalError'), 503: ref('responses', 'ServiceUnavailable') };
  return {
    [SETTINGS_PATH]: {
      get: {
        operationId: 'getLlmSettings',
        summary: 'Read the LLM settings (the defaults when none are saved).',
        parameters: [requestId],
        ...secured,
        responses: { 200: viewResponse('The settings.'), 409: ref('responses', 'Conflict'), ...common },
      },
      put: {
        operationId: 'updateLlmSettings',
        summary: 'Save the LLM settings.',
        parameters: [requestId, ifMatch],
        ...secured,
        requestBody: { required: true, content: json(ref('schemas', 'LlmSettingsUpdate')) },
        responses: {
          200: viewResponse('The saved settings.'),
          400: ref('responses', 'BadRequest'),
          409: ref('responses', 'Conflict'),
          412: ref('responses', 'PreconditionFailed'),
          413: ref('responses', 'PayloadTooLarge'),
          415: ref('responses', 'UnsupportedMediaType'),
          ...common,
        },
      },
      delete: {
        operationId: 'clearLlmSettings',
        summary: 'Remove the LLM settings. Removing nothing is not an error.',
        parameters: [requestId, ifMatch],
        ...secured,
        responses: {
          204: { description: 'Removed.', headers: { 'X-Request-Id': ref('headers', 'XRequestId') } },
          400: ref('responses', 'BadRequest'),
          412: ref('responses', 'PreconditionFailed'),
          ...common,
        },
      },
    },
    [SETTINGS_TEST_PATH]: {
      post: {
        operationId: 'testLlmSettings',
        summary: 'Test settings with one call to the provider; stores nothing.',
        description:
          'Tests the settings in the body, or the stored settings when there is no body (an empty body or `{}` counts as none). The test is aborted when the client disconnects.',
        parameters: [requestId],
        ...secured,
        requestBody: { required: false, content: json(ref('schemas', 'LlmTestCandidate')) },
        responses: {
          200: {
            description: 'The outcome; provider failures are outcomes (`success: false`), not errors.',
            headers: { 'X-Request-Id': ref('headers', 'XRequestId') },
            content: json(ref('schemas', 'LlmTestResult')),
          },
          400: ref('responses', 'BadRequest'),
          409: ref('responses', 'Conflict'),
          413: ref('responses', 'PayloadTooLarge'),
          415: ref('responses', 'UnsupportedMediaType'),
          429: ref('responses', 'TooManyRequests'),
          ...common,
        },
      },
    },
  };
}

function operationalPaths(hostCheck: boolean): JsonObject {
  const hostChecked = hostCheckResponses(hostCheck);
  return {
    [OPENAPI_PATH]: {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This document.',
        responses: { 200: { description: 'The OpenAPI document.', content: json({ type: 'object' }) }, ...hostChecked },
      },
    },
    [HEALTH_PATH]: {
      get: {
        operationId: 'getHealth',
        summary: 'Liveness: answers while the process serves requests.',
        responses: { 200: { description: 'Alive.', content: json(ref('schemas', 'Health')) }, ...hostChecked },
      },
    },
    [READY_PATH]: {
      get: {
        operationId: 'getReadiness',
        summary: 'Readiness: whether dependencies such as storage are usable.',
        responses: {
          200: { description: 'Ready.', content: json(ref('schemas', 'Readiness')) },
          503: { description: 'Not ready; `checks` says which check failed.', content: json(ref('schemas', 'Readiness')) },
          ...hostChecked,
        },
      },
    },
  };
}

/**
 * The OpenAPI 3.1 description of the HTTP API. Bodies are generated from core's zod
 * schemas, so the document cannot drift from what the service accepts and returns.
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const bearerAuth = options.bearerAuth ?? true;
  const hostCheck = options.hostCheck ?? false;
  return {
    openapi: '3.1.0',
    info: {
      title: 'llm-settings',
      version: '1.0.0',
      description:
        `Read, save, clear and test the LLM provider settings (${ENABLED_PROVIDER_IDS.join(", ")}). ` +
        'The API key is write-only: responses show only whether one is set and a mask. ' +
        `Errors are ${PROBLEM_CONTENT_TYPE} (RFC 9457); unknown paths answer 404 and unsupported methods 405 with an Allow header.`,
    },
    paths: { ...settingsPaths(bearerAuth, hostCheck), ...operationalPaths(hostCheck) },
    components: components(bearerAuth, hostCheck),
  };
}
