import {
  DEFAULT_PROVIDER_REGISTRY,
  HistoryPageSchema,
  inputSchemasOf,
  LlmModelListSchema,
  LlmProviderListSchema,
  LlmSettingsViewSchema,
  LlmTestResultSchema,
  type ProviderRegistry,
  PERMISSIONS,
  SCOPE_PATTERN,
} from '@llm-settings/core';
import { ANSWERED_REQUEST_ID_HEADER } from './forwarded-headers.js';
import { HEALTH_PATH, READY_PATH } from './health-routes.js';
import { LLM_PATH_PREFIX, passThroughPath, passThroughRoutes, type PassThroughRoute } from './llm-pass-through.js';
import { PROBLEM_CODES, PROBLEM_CONTENT_TYPE, RETRY_AFTER_SECONDS } from './problems.js';
import { SCOPE_HEADER } from './scope-header.js';
import { MODELS_PATH } from './model-routes.js';
import { PROVIDERS_PATH } from './provider-routes.js';
import { WHOAMI_PATH } from './caller-route.js';
import { SETTINGS_HISTORY_PATH, SETTINGS_PATH, SETTINGS_TEST_PATH } from './settings-routes.js';
import { USAGE_PATH } from './usage-routes.js';

export const OPENAPI_PATH = '/api/openapi.json';

/** An OpenAPI 3.1 document as plain JSON data. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: { url: string }[];
  paths: Record<string, unknown>;
  components: Record<string, unknown>;
}

export interface OpenApiOptions {
  /**
   * The providers served: the provider enums and the pass-through's paths follow the enabled ones.
   * @default DEFAULT_PROVIDER_REGISTRY (Anthropic and OpenAI)
   */
  providers?: ProviderRegistry;
  /**
   * Whether the settings routes require a bearer token (the app's `apiToken` is set).
   * @default true
   */
  bearerAuth?: boolean;
  /**
   * Whether the app checks Host (the app's `allowedHosts` is set), so that every operation
   * may answer 421. (Every operation may answer 403 to pages of other origins whatever it.)
   * @default false
   */
  hostCheck?: boolean;
  /**
   * Whether the app serves the LLM pass-through (the app's `llm` is set).
   * @default false
   */
  llm?: boolean;
  /**
   * Whether the app counts the tenants' usage (the app's `usage` is set).
   * @default false
   */
  usage?: boolean;
  /**
   * The path the app is served under (the app's `basePath`), given as the `servers` URL.
   * @default '' (no `servers`: clients resolve paths against the document's own origin)
   */
  basePath?: string;
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

function schemas(providers: ProviderRegistry): JsonObject {
  const inputs = inputSchemasOf(providers);
  return {
    LlmSettingsUpdate: {
      ...fromZod(inputs.update, 'input'),
      description:
        'Settings to save. Without api_key the stored key is kept (the provider must then be unchanged); without model the provider default is used; without inherit_from the stored link is kept. `inherit_from` (the operator only) names the scope whose provider, model and key this scope uses while it has none of its own (at most 4 links, no cycle); null stops inheriting. A body of `inherit_from` alone changes the link only and needs no provider. Unknown fields are rejected.',
    },
    LlmTestCandidate: {
      ...fromZod(inputs.testCandidate, 'input'),
      description: 'Settings to test without storing them. `api_key` may be left out for a provider that takes no key (`key_required` false).',
    },
    LlmSettingsView: {
      ...fromZod(LlmSettingsViewSchema, 'output'),
      description:
        'The settings as clients see them: never the key, only whether one is set and its mask. `model_verified` is false for a model id the built-in catalogue does not list for the provider (a gateway\'s name, a newer model): saved as given, not checked. `api_key_source` says where the key comes from: `own`, `inherited` (provider, model and key of the first scope up the `inherit_from` chain with settings; its mask is not shown) or `none`.',
    },
    LlmHistoryPage: {
      ...fromZod(HistoryPageSchema, 'output'),
      description:
        "A page of the scope's history of changes, newest first: when, what (`update`, `delete`, `inherit`, `rotate`, `confirm-endpoint`, `revoke-tokens`), by whom (`admin`, `token:<jti>`, `jwt:<sub>`, `embedded`, `cli`), the fields changed and whether the key changed; never a key, a mask or a body. `next` is the `before` of the following page, null after the last.",
    },
    LlmTestResult: fromZod(LlmTestResultSchema, 'output'),
    LlmModelListCandidate: {
      ...fromZod(inputs.modelListCandidate, 'input'),
      description: 'A key to list the models of before it is saved; none for a provider that takes no key (`key_required` false).',
    },
    LlmModelList: {
      ...fromZod(LlmModelListSchema, 'output'),
      description:
        "The models to choose from. `source` is `live` when the key's own list came from the provider (every page), `catalogue` for the built-in list of current models; then `reason` says why: `no_stored_key` (no key is stored for that provider), `listing_disabled` (the server lists no models live), or the code of the failed listing, as POST /api/settings/llm/test reports it (`invalid_api_key`, `permission_denied`, `rate_limited`, `provider_unavailable`, `timeout`, `network_error`, ...), with `message` in fixed wording. `default` marks the model used when settings name none.",
    },
    CallerView: {
      type: 'object',
      required: ['kind', 'scope', 'can'],
      properties: {
        kind: { type: 'string', enum: ['admin', 'scoped'] },
        scope: { type: ['string', 'null'], description: "The scoped token's scope; null for the admin, who reaches every scope." },
        can: { type: 'array', items: { type: 'string', enum: [...PERMISSIONS] } },
      },
      description: 'Who the request\'s token stands for, for a page to show what it may do.',
    },
    LlmProviderList: {
      ...fromZod(LlmProviderListSchema, 'output'),
      description: 'The providers this server enables, the default one first: the settings page builds its provider list from them.',
    },
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
        error: {
          type: 'object',
          description:
            "On the LLM pass-through only: the provider's error object with the same detail and code, which its SDK reads. Anthropic: `{type, message, details: {error_code}}`; OpenAI: `{message, type, param, code}`.",
        },
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

/** The answers of the Origin check and (with `allowedHosts`) the Host check, which run before every route. */
function hostCheckResponses(hostCheck: boolean): JsonObject {
  return { 403: ref('responses', 'ForbiddenOrigin'), ...(hostCheck ? { 421: ref('responses', 'MisdirectedRequest') } : {}) };
}

function components(providers: ProviderRegistry, bearerAuth: boolean, hostCheck: boolean, llm: boolean): JsonObject {
  return {
    schemas: schemas(providers),
    parameters: {
      IfMatch: {
        name: 'If-Match',
        in: 'header',
        required: false,
        description:
          'Apply the change only if the settings are at this version: `*` (they exist) or a list of ETags from earlier responses. Weak tags never match.',
        schema: { type: 'string' },
      },
      IfNoneMatch: {
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description:
          'On a read of the scope\'s own settings (not an inherited view or the defaults): answer 304 without the body when one of these ETags (weak or not) is the current one, or for `*`. On a change: apply it only if none of them is the current one; `*`: only if no settings are saved (a create-only PUT, as If-Match: "0").',
        schema: { type: 'string' },
      },
      Scope: {
        name: SCOPE_HEADER,
        in: 'header',
        required: false,
        description:
          'Whose settings: a scope such as a tenant, user or workspace. Absent: the default scope. An invalid value is a 400 problem naming this header.',
        schema: { type: 'string', pattern: SCOPE_PATTERN.source },
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
      ETag: { description: 'Version of the settings, for If-Match and If-None-Match.', schema: { type: 'string' } },
      XRequestId: { description: 'The request id, as received or generated.', schema: { type: 'string' } },
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0, examples: [RETRY_AFTER_SECONDS] } },
      Allow: { description: 'Methods the resource supports.', schema: { type: 'string' } },
      WWWAuthenticate: { description: 'The bearer challenge.', schema: { type: 'string' } },
      ...(llm ? { UpstreamRequestId: { description: "The provider's request id, for its support.", schema: { type: 'string' } } } : {}),
    },
    responses: {
      BadRequest: problemResponse(
        'Invalid input: malformed JSON, wrong types, unknown fields, an unsupported provider, a masked-looking key or a malformed If-Match or If-None-Match (`errors` lists the fields); SETTINGS.MODEL_PROVIDER_MISMATCH: the model is one the built-in catalogue lists for the other provider (the detail names it).',
      ),
      Unauthorized: problemResponse('Missing or invalid bearer token.', { 'WWW-Authenticate': ref('headers', 'WWWAuthenticate') }),
      ForbiddenOrigin: problemResponse(
        "HTTP.FORBIDDEN_ORIGIN: a request from a page that may not call the API: an Origin other than the server's own and the configured CORS origins (or null); on the API operations also Sec-Fetch-Mode: no-cors, or Sec-Fetch-Site: cross-site / same-site without such an Origin. With a scoped token: HTTP.SCOPE_FORBIDDEN when LLM-Settings-Scope names another scope than the token's (whether it exists or not), HTTP.PERMISSION_MISSING when the token lacks the operation's permission (read, write, test, models, use; the detail names it).",
      ),
      ...(hostCheck
        ? { MisdirectedRequest: problemResponse('The Host header names a host this server does not serve (DNS rebinding), or is missing or malformed.') }
        : {}),
      NotFound: problemResponse('No resource at this path.'),
      MethodNotAllowed: problemResponse('The resource does not support this method.', { Allow: ref('headers', 'Allow') }),
      Conflict: problemResponse(
        'SETTINGS.CONFLICT: changed concurrently; CRYPTO.UNDECRYPTABLE / SETTINGS.CORRUPTED: the stored settings cannot be used with the configured encryption key (save new settings to replace them); SETTINGS.NOT_CONFIGURED: nothing to test; SETTINGS.PROVIDER_DISABLED: the stored settings are for a provider this server no longer enables (kept, not used); SETTINGS.ENDPOINT_CHANGED: the provider\'s API root moved to another origin since the key was saved (the detail names both; save the key again, or the operator runs confirm-endpoint); SETTINGS.INHERITANCE_TOO_DEEP: the scope\'s inherit_from chain goes on past 4 links (links written child first), so its settings cannot be read (shorten the chain).',
      ),
      PreconditionFailed: problemResponse('If-Match or If-None-Match does not hold.'),
      PayloadTooLarge: problemResponse('The body exceeds the size limit.'),
      UnsupportedMediaType: problemResponse('The body is not application/json.'),
      TooManyRequests: problemResponse('Too many connection tests or model listings are running.', { 'Retry-After': ref('headers', 'RetryAfter') }),
      InternalError: problemResponse('An unexpected error; the detail says nothing about internals.'),
      ServiceUnavailable: problemResponse('The settings storage is unavailable.', { 'Retry-After': ref('headers', 'RetryAfter') }),
      ...(llm ? llmResponses() : {}),
    },
    ...(bearerAuth ? { securitySchemes: securitySchemes(llm) } : {}),
  };
}

function securitySchemes(llm: boolean): JsonObject {
  return {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API token configured on the server, or a scoped token.' },
    ...(llm ? { apiKeyAuth: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API token or a scoped token, on the LLM pass-through only.' } } : {}),
  };
}

function llmResponses(): JsonObject {
  return {
    LlmConflict: problemResponse(
      'SETTINGS.NOT_CONFIGURED: no settings for this scope; SETTINGS.PROVIDER_MISMATCH: they are for another provider (the detail names it); SETTINGS.ENDPOINT_CHANGED: the key was saved for another origin of the provider\'s API root, and is not sent to this one; SETTINGS.INHERITANCE_TOO_DEEP: the scope\'s inherit_from chain goes on past 4 links; CRYPTO.UNDECRYPTABLE / SETTINGS.CORRUPTED: they cannot be used.',
    ),
    BadGateway: problemResponse('UPSTREAM.UNAVAILABLE: the provider could not be reached, or answered with a redirect.'),
    GatewayTimeout: problemResponse('UPSTREAM.TIMEOUT: the provider did not answer in time.'),
    RequestTimeout: problemResponse('HTTP.REQUEST_TIMEOUT: the request body did not arrive whole in time; the connection closes and nothing is forwarded.'),
    LlmTooManyRequests: problemResponse('HTTP.TOO_MANY_REQUESTS: the most LLM calls the server, or this scope, may have in flight are running.', {
      'Retry-After': ref('headers', 'RetryAfter'),
    }),
    ProviderAnswer: {
      description:
        "The provider's own answer with its status, content type and rate-limit headers. In error answers, 401 and 403 bodies are replaced by a fixed message in the provider's shape, and key-shaped text is redacted; a content type other than JSON or text/event-stream is sent as application/octet-stream with Content-Disposition: attachment. Echoes of the stored key are replaced by [REDACTED] in every header and body, streamed or not.",
      headers: { 'X-Request-Id': ref('headers', 'XRequestId') },
      content: json({ type: 'object' }),
    },
  };
}

function settingsPaths(providers: ProviderRegistry, bearerAuth: boolean, hostCheck: boolean): JsonObject {
  const secured = bearerAuth ? { security: [{ bearerAuth: [] }] } : {};
  const auth = bearerAuth ? { 401: ref('responses', 'Unauthorized') } : {};
  const requestId = ref('parameters', 'XRequestId');
  const ifMatch = ref('parameters', 'IfMatch');
  const ifNoneMatch = ref('parameters', 'IfNoneMatch');
  const scope = ref('parameters', 'Scope');
  const viewResponse = (description: string) => ({
    description,
    headers: { ETag: ref('headers', 'ETag'), 'X-Request-Id': ref('headers', 'XRequestId') },
    content: json(ref('schemas', 'LlmSettingsView')),
  });
  const common = { ...auth, ...hostCheckResponses(hostCheck), 500: ref('responses', 'InternalError'), 503: ref('responses', 'ServiceUnavailable') };
  const modelListResponse = {
    description: 'The models; a provider that cannot list them (or refuses the key) gives the catalogue, with `reason`.',
    headers: { 'X-Request-Id': ref('headers', 'XRequestId') },
    content: json(ref('schemas', 'LlmModelList')),
  };
  return {
    [WHOAMI_PATH]: {
      get: {
        operationId: 'getLlmSettingsCaller',
        summary: "Who the token stands for: the admin, or a scoped token's scope and permissions (no permission needed).",
        parameters: [requestId],
        ...secured,
        responses: {
          200: { description: 'The caller.', headers: { 'X-Request-Id': ref('headers', 'XRequestId') }, content: json(ref('schemas', 'CallerView')) },
          ...common,
        },
      },
    },
    [PROVIDERS_PATH]: {
      get: {
        operationId: 'listLlmProviders',
        summary: 'List the providers this server enables (LLM_PROVIDERS and LLM_PROVIDERS_FILE).',
        parameters: [requestId],
        ...secured,
        responses: {
          200: { description: 'The providers.', headers: { 'X-Request-Id': ref('headers', 'XRequestId') }, content: json(ref('schemas', 'LlmProviderList')) },
          ...common,
        },
      },
    },
    [SETTINGS_PATH]: {
      get: {
        operationId: 'getLlmSettings',
        summary: 'Read the LLM settings (the defaults when none are saved).',
        parameters: [requestId, scope, ifNoneMatch],
        ...secured,
        responses: {
          200: viewResponse('The settings.'),
          304: { description: "If-None-Match names the current ETag of the scope's own settings: no body.", headers: { ETag: ref('headers', 'ETag'), 'X-Request-Id': ref('headers', 'XRequestId') } },
          400: ref('responses', 'BadRequest'),
          409: ref('responses', 'Conflict'),
          ...common,
        },
      },
      put: {
        operationId: 'updateLlmSettings',
        summary: 'Save the LLM settings.',
        description:
          'Only the operator may set `inherit_from`: from a scoped token it is a 403 problem, HTTP.PERMISSION_MISSING. A link that would close a cycle or make a chain of more than 4 links from this scope up, as stored when it is written, is a 400 problem naming `inherit_from`. Scopes already linked to this one are not counted: links written child first can make a chain longer than 4 links, and every read of a scope whose chain goes on past 4 links without settings is then a 409 problem, SETTINGS.INHERITANCE_TOO_DEEP.',
        parameters: [requestId, scope, ifMatch, ifNoneMatch],
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
        description: "A scoped token removes the scope's own provider, model and key and keeps its `inherit_from` link, which only the operator sets or removes.",
        parameters: [requestId, scope, ifMatch, ifNoneMatch],
        ...secured,
        responses: {
          204: { description: 'Removed.', headers: { 'X-Request-Id': ref('headers', 'XRequestId') } },
          400: ref('responses', 'BadRequest'),
          412: ref('responses', 'PreconditionFailed'),
          ...common,
        },
      },
    },
    [SETTINGS_HISTORY_PATH]: {
      get: {
        operationId: 'getLlmSettingsHistory',
        summary: "Read the scope's history of changes, newest first (kept for HISTORY_RETENTION_DAYS).",
        parameters: [
          requestId,
          scope,
          { name: 'limit', in: 'query', required: false, description: 'Entries a page.', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          { name: 'before', in: 'query', required: false, description: 'The `next` of the previous page.', schema: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
        ],
        ...secured,
        responses: {
          200: { description: 'The page.', headers: { 'X-Request-Id': ref('headers', 'XRequestId') }, content: json(ref('schemas', 'LlmHistoryPage')) },
          400: ref('responses', 'BadRequest'),
          ...common,
        },
      },
    },
    [MODELS_PATH]: {
      get: {
        operationId: 'listLlmModels',
        summary: "List the models of a provider: the stored key's own, or the built-in catalogue.",
        description:
          'Live (every page of the provider\'s model list, cached for a few minutes per scope and stored key, dropped when the settings change) when a key for that provider is stored and the provider lists its models; otherwise the built-in catalogue, with `reason`. A key stored for one provider is never sent to the other. Aborted when the client disconnects.',
        parameters: [
          requestId,
          scope,
          {
            name: 'provider',
            in: 'query',
            required: false,
            description: 'Whose models; when omitted, the stored provider, or the default provider when nothing is stored or the stored one is no longer enabled.',
            schema: { type: 'string', enum: [...providers.enabledIds] },
          },
        ],
        ...secured,
        responses: { 200: modelListResponse, 400: ref('responses', 'BadRequest'), 409: ref('responses', 'Conflict'), 429: ref('responses', 'TooManyRequests'), ...common },
      },
      post: {
        operationId: 'listLlmCandidateModels',
        summary: 'List the models of a key before it is saved; stores nothing.',
        description:
          'A key the provider refuses is an answer, as on POST /api/settings/llm/test: 200 with the built-in catalogue and the refusal\'s code as `reason`. Aborted when the client disconnects.',
        parameters: [requestId, scope],
        ...secured,
        requestBody: { required: true, content: json(ref('schemas', 'LlmModelListCandidate')) },
        responses: {
          200: modelListResponse,
          400: ref('responses', 'BadRequest'),
          413: ref('responses', 'PayloadTooLarge'),
          415: ref('responses', 'UnsupportedMediaType'),
          429: ref('responses', 'TooManyRequests'),
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
        parameters: [requestId, scope],
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

function llmOperation(route: PassThroughRoute, bearerAuth: boolean, hostCheck: boolean): JsonObject {
  const upstreamId = ANSWERED_REQUEST_ID_HEADER[route.dialect];
  const query = route.query.map((name) => ({ name, in: 'query', required: false, schema: name === 'limit' ? { type: 'integer', minimum: 1 } : { type: 'string' } }));
  const answer = {
    'application/json': { schema: { type: 'object' } },
    ...(route.streams ? { 'text/event-stream': { schema: { type: 'string', description: 'Server-sent events, passed on as they arrive.' } } } : {}),
  };
  const post = route.method === 'POST';
  return {
    operationId: `llm${[...route.provider.split('-'), ...route.path.split(/[/_]/).slice(2)].map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}`,
    summary: route.summary,
    description: `Forwarded to the ${route.provider} API with the key stored for the scope, which the caller never sees; the caller's Authorization and x-api-key are not forwarded. Point the official SDK at \`${LLM_PATH_PREFIX}/${route.provider}${route.dialect === 'openai' ? '/v1' : ''}\`.`,
    parameters: [ref('parameters', 'XRequestId'), ref('parameters', 'Scope'), ...query],
    ...(bearerAuth ? { security: [{ bearerAuth: [] }, { apiKeyAuth: [] }] } : {}),
    ...(post ? { requestBody: { required: true, content: json({ type: 'object', description: "The provider's request body, forwarded byte for byte." }) } } : {}),
    responses: {
      200: {
        description: route.streams ? "The provider's answer: JSON, or server-sent events with `\"stream\": true`." : "The provider's answer.",
        headers: { 'X-Request-Id': ref('headers', 'XRequestId'), [upstreamId]: ref('headers', 'UpstreamRequestId') },
        content: answer,
      },
      400: ref('responses', 'BadRequest'),
      ...(bearerAuth ? { 401: ref('responses', 'Unauthorized') } : {}),
      ...(post ? { 408: ref('responses', 'RequestTimeout') } : {}),
      409: ref('responses', 'LlmConflict'),
      ...(post ? { 413: ref('responses', 'PayloadTooLarge'), 415: ref('responses', 'UnsupportedMediaType') } : {}),
      429: ref('responses', 'LlmTooManyRequests'),
      ...hostCheckResponses(hostCheck),
      500: ref('responses', 'InternalError'),
      502: ref('responses', 'BadGateway'),
      503: ref('responses', 'ServiceUnavailable'),
      504: ref('responses', 'GatewayTimeout'),
      default: ref('responses', 'ProviderAnswer'),
    },
  };
}

function llmPaths(providers: ProviderRegistry, bearerAuth: boolean, hostCheck: boolean): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of passThroughRoutes(providers)) {
    (paths[passThroughPath(route)] ??= {})[route.method.toLowerCase()] = llmOperation(route, bearerAuth, hostCheck);
  }
  return paths;
}

const USAGE_DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-03-04'] };
const USAGE_COUNT = { type: 'integer', minimum: 0 };

function usagePaths(bearerAuth: boolean, hostCheck: boolean): JsonObject {
  const day = (name: string, description: string) => ({ name, in: 'query', required: true, description, schema: USAGE_DAY });
  const row = {
    type: 'object',
    required: ['date', 'provider', 'model', 'calls', 'failed_calls', 'input_tokens', 'output_tokens', 'cached_input_tokens'],
    additionalProperties: false,
    properties: {
      date: { ...USAGE_DAY, description: 'The UTC day.' },
      provider: { type: 'string' },
      model: { type: 'string', maxLength: 128, description: "The model the answers named (else the requests'); `unknown` when neither did." },
      calls: USAGE_COUNT,
      failed_calls: { ...USAGE_COUNT, description: 'Calls the provider answered with a status other than 2xx, or never answered.' },
      input_tokens: USAGE_COUNT,
      output_tokens: USAGE_COUNT,
      cached_input_tokens: { ...USAGE_COUNT, description: 'Input tokens read from the provider cache, where the provider reports them.' },
    },
  };
  return {
    [USAGE_PATH]: {
      get: {
        operationId: 'getLlmUsage',
        summary: "The scope's LLM calls and tokens through the pass-through and in-process clients, per UTC day, provider and model.",
        description: 'Counted from the providers\' `usage` (JSON answers and stream events); written in batches, so that another instance\'s last few seconds may not show yet.',
        parameters: [ref('parameters', 'XRequestId'), ref('parameters', 'Scope'), day('from', 'First UTC day, included.'), day('to', 'Last UTC day, included; not before `from`.')],
        ...(bearerAuth ? { security: [{ bearerAuth: [] }] } : {}),
        responses: {
          200: {
            description: 'The rows, sorted by date, provider and model.',
            headers: { 'X-Request-Id': ref('headers', 'XRequestId') },
            content: json({ type: 'object', required: ['rows'], additionalProperties: false, properties: { rows: { type: 'array', items: row } } }),
          },
          400: ref('responses', 'BadRequest'),
          ...(bearerAuth ? { 401: ref('responses', 'Unauthorized') } : {}),
          ...hostCheckResponses(hostCheck),
          500: ref('responses', 'InternalError'),
          503: ref('responses', 'ServiceUnavailable'),
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
  const llm = options.llm ?? false;
  const usage = options.usage ?? false;
  const basePath = options.basePath ?? '';
  const providers = options.providers ?? DEFAULT_PROVIDER_REGISTRY;
  return {
    openapi: '3.1.0',
    info: {
      title: 'llm-settings',
      version: '1.0.0',
      description:
        `Read, save, clear and test the LLM provider settings (${providers.enabledIds.join(", ")}). ` +
        'The API key is write-only: responses show only whether one is set and a mask. ' +
        `Errors are ${PROBLEM_CONTENT_TYPE} (RFC 9457); unknown paths answer 404 and unsupported methods 405 with an Allow header.`,
    },
    ...(basePath === '' ? {} : { servers: [{ url: basePath }] }),
    paths: {
      ...settingsPaths(providers, bearerAuth, hostCheck),
      ...(usage ? usagePaths(bearerAuth, hostCheck) : {}),
      ...(llm ? llmPaths(providers, bearerAuth, hostCheck) : {}),
      ...operationalPaths(hostCheck),
    },
    components: components(providers, bearerAuth, hostCheck, llm),
  };
}
