import { z } from 'zod';
import { DEFAULT_PROVIDER_REGISTRY, PROVIDER_ID_PATTERN, type ProviderRegistry } from './providers.js';
import { looksLikeApiKey, looksMasked } from './masking.js';
import { PREFIXED_KEY_SOURCE } from './redaction.js';

/*
 * Wire schemas: these snake_case names are the public HTTP contract. Error
 * messages are written here so that none of them can quote the input value.
 */

const PRINTABLE_ASCII_NO_SPACE = /^[\x21-\x7e]+$/;

/** The provider field: one of the registry's enabled ids. */
export function providerSchemaOf(registry: ProviderRegistry) {
  const ids = registry.enabledIds;
  return z.enum(ids, { error: () => `provider must be one of: ${ids.join(', ')}` });
}

/** Any provider id, enabled or not: what stored values and views carry. */
const ProviderIdSchema = z.string().regex(PROVIDER_ID_PATTERN);

export const LlmProviderSchema = providerSchemaOf(DEFAULT_PROVIDER_REGISTRY);

/** The api_key field's rules every provider shares; its length is the provider's (see {@link keyLengthOf}). */
export const ApiKeySchema = z
  .string({ error: () => 'api_key must be a string' })
  .trim()
  .superRefine((key, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (key.length === 0) return fail('api_key must not be empty');
    if (looksMasked(key)) {
      return fail('api_key looks like a masked key; send the real key, or omit api_key to keep the stored one');
    }
    if (!PRINTABLE_ASCII_NO_SPACE.test(key)) {
      return fail('api_key must be printable ASCII without whitespace');
    }
  });

/**
 * A provider's key where a word starts: `sk-` in any case, or the start of a key of another
 * prefix (`xai-`, `gsk_`, `AIza` and as many characters as {@link PREFIXED_KEY_SOURCE} asks).
 * Lookaheads only: the pattern is published in the OpenAPI document.
 */
const KEY_IN_NAME = `(?:.*[^A-Za-z0-9])?(?:[sS][kK]-|${PREFIXED_KEY_SOURCE})`;

/**
 * A scope name: short, URL- and key-safe, and never a provider's key ({@link KEY_IN_NAME}):
 * names are stored, logged and shown in plaintext, so a key pasted as one must not be kept.
 * Random-looking ids (UUIDs, user ids) and names merely starting like a key (`gsk`,
 * `xai-team`) are names and pass.
 */
export const SCOPE_PATTERN = new RegExp(`^(?!${KEY_IN_NAME})[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`);
/** {@link KEY_IN_NAME} in any text, lines and all: what the schema refuses in words of its own. */
const HOLDS_KEY = new RegExp(`^${KEY_IN_NAME}`, 's');
const SCOPE_RULE = '1 to 128 letters, digits or . _ : @ - and start with a letter or digit';

/** A scope name as `field`, a key pasted there refused in words of its own. */
function scopeNameSchema(field: string, messages: { notString: string; notName: string }) {
  return z
    .string({ error: () => messages.notString })
    .refine((name) => !HOLDS_KEY.test(name), { message: `${field} looks like an API key; a scope names a user, team or tenant`, abort: true })
    .regex(SCOPE_PATTERN, messages.notName);
}

/** The scope whose key a scope uses when it has none of its own; null stops inheriting. */
export const InheritFromSchema = scopeNameSchema('inherit_from', {
  notString: 'inherit_from must be a scope name or null',
  notName: `inherit_from must be a scope name: ${SCOPE_RULE}`,
}).nullable();

export const ModelSchema = z
  .string({ error: () => 'model must be a string' })
  .regex(/^[\x21-\x7e]{1,256}$/, 'model must be 1 to 256 printable characters without whitespace')
  .refine((model) => !looksLikeApiKey(model), 'model looks like an API key; put the key in api_key and a model name in model');

/**
 * A JSON object with exactly these fields. Unknown member names are not quoted back:
 * they are client text, and may hold anything (line separators, control characters).
 */
function strictBody<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `body has unknown fields; the fields are: ${allowed}` : 'body must be a JSON object'),
  });
}

/**
 * The key's length within its provider's limits (`apiKey` of the descriptor), checked once
 * the provider and the key are otherwise valid. The message names the provider and the
 * limit, never the key nor its length.
 */
function keyLengthOf(registry: ProviderRegistry) {
  return (body: { provider: string; api_key?: string | undefined }, ctx: z.core.$RefinementCtx) => {
    // A key already refused (empty, masked, unprintable) is not measured too.
    if (body.api_key === undefined || ctx.issues.length > 0) return;
    const { displayName, apiKey: limits } = registry.get(body.provider);
    const fail = (message: string) => ctx.addIssue({ code: 'custom', path: ['api_key'], message });
    if (body.api_key.length < limits.minLength) fail(`api_key must be at least ${characters(limits.minLength)} for ${displayName}`);
    else if (body.api_key.length > limits.maxLength) fail(`api_key must be at most ${characters(limits.maxLength)} for ${displayName}`);
  };
}

/** Refuses a candidate without a key for a provider that takes one. */
function keyRequiredOf(registry: ProviderRegistry) {
  return (body: { provider: string; api_key?: string | undefined }, ctx: z.core.$RefinementCtx) => {
    if (body.api_key !== undefined || ctx.issues.length > 0) return;
    const { keyRequired, displayName } = registry.get(body.provider);
    if (keyRequired) ctx.addIssue({ code: 'custom', path: ['api_key'], message: `api_key is required for ${displayName}` });
  };
}

const characters = (count: number) => (count === 1 ? '1 character' : `${count} characters`);

/** The input schemas of a registry: the same rules, with its enabled providers and their key limits. */
export function inputSchemasOf(registry: ProviderRegistry) {
  const provider = providerSchemaOf(registry);
  const keyLength = keyLengthOf(registry);
  const keyRequired = keyRequiredOf(registry);
  return {
    /**
     * Body of an update: the provider, and optionally a new key, a model and the scope to
     * inherit a key from (null: none). A body of `inherit_from` alone changes the link only,
     * and needs no provider. Unknown fields are rejected.
     */
    update: strictBody({
      provider: provider.optional(),
      api_key: ApiKeySchema.optional(),
      model: ModelSchema.optional(),
      inherit_from: InheritFromSchema.optional(),
    }).superRefine((body, ctx) => {
      if (body.provider !== undefined) return keyLength({ provider: body.provider, api_key: body.api_key }, ctx);
      // Only a change of the link alone may leave the provider out.
      if (body.inherit_from === undefined || body.api_key !== undefined || body.model !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['provider'], message: `provider must be one of: ${registry.enabledIds.join(', ')}` });
      }
    }),
    /** Settings to test without storing them; a provider that takes no key needs none. */
    testCandidate: strictBody({ provider, api_key: ApiKeySchema.optional(), model: ModelSchema.optional() }).superRefine(keyLength).superRefine(keyRequired),
    /** The query of a model list: which provider's models, the stored provider's when omitted. */
    modelListQuery: z.strictObject(
      { provider: provider.optional() },
      { error: (issue) => (issue.code === 'unrecognized_keys' ? 'the only query parameter is provider' : 'the query must be an object') },
    ),
    /** A key to list the models of before it is saved; a provider that takes no key needs none. */
    modelListCandidate: strictBody({ provider, api_key: ApiKeySchema.optional() }).superRefine(keyLength).superRefine(keyRequired),
  };
}
export type InputSchemas = ReturnType<typeof inputSchemasOf>;

const DEFAULT_INPUT_SCHEMAS = inputSchemasOf(DEFAULT_PROVIDER_REGISTRY);

/** Body of an update: the provider, and optionally a new key and a model. Unknown fields are rejected. */
export const LlmSettingsUpdateSchema = DEFAULT_INPUT_SCHEMAS.update;
export type LlmSettingsUpdate = z.infer<typeof LlmSettingsUpdateSchema>;

/** Settings to test without storing them. */
export const LlmTestCandidateSchema = DEFAULT_INPUT_SCHEMAS.testCandidate;
export type LlmTestCandidate = z.infer<typeof LlmTestCandidateSchema>;

/** Where a scope's key comes from: its own settings, a parent scope's, or nowhere. */
export const API_KEY_SOURCES = ['own', 'inherited', 'none'] as const;
export type ApiKeySource = (typeof API_KEY_SOURCES)[number];

/** What clients see: never the key, only whether one is set and its mask. */
export const LlmSettingsViewSchema = z.strictObject({
  provider: ProviderIdSchema,
  model: z.string(),
  api_key_set: z.boolean(),
  api_key_masked: z.string().nullable(),
  updated_at: z.iso.datetime().nullable(),
  /**
   * Whether the built-in catalogue lists the model for the provider. False for an id it
   * does not know (a gateway's name, a model newer than the catalogue): accepted, unchecked.
   */
  model_verified: z.boolean().describe('Whether the built-in catalogue lists the model for the provider.'),
  /** Present, false, when the settings are for a provider this server no longer enables: kept, not usable. */
  provider_enabled: z.literal(false).optional().describe('Present, and false, when the stored provider is not enabled on this server.'),
  /** `inherited`: provider, model and key are a parent scope's, whose mask is not shown. */
  api_key_source: z.enum(API_KEY_SOURCES).describe('Where the key comes from: own, inherited (from a parent scope, its mask not shown) or none.'),
  inherit_from: z.string().nullable().describe('The scope this one inherits a key from when it has none of its own; null when none.'),
});
export type LlmSettingsView = z.infer<typeof LlmSettingsViewSchema>;

export const PROBE_CODES = [
  'ok',
  'invalid_api_key',
  'permission_denied',
  'model_not_found',
  'rate_limited',
  'provider_unavailable',
  'timeout',
  'network_error',
] as const;
export const ProbeCodeSchema = z.enum(PROBE_CODES);
export type ProbeCode = z.infer<typeof ProbeCodeSchema>;

export const LlmTestResultSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  latency_ms: z.number().int().nonnegative().nullable(),
  code: ProbeCodeSchema,
});
export type LlmTestResult = z.infer<typeof LlmTestResultSchema>;

/** Settings scopes (tenants, users, workspaces): short, URL- and key-safe names. */
export const ScopeSchema = scopeNameSchema('scope', { notString: 'scope must be a string', notName: `scope must be ${SCOPE_RULE}` });

/** The plaintext inside a stored token of own settings. The scope is checked on read. */
export const StoredSettingsSchema = z.strictObject({
  /** Any id, so that the values of a provider since disabled still read. */
  provider: ProviderIdSchema,
  model: ModelSchema,
  /** Empty for a keyless provider. */
  api_key: z.string(),
  scope: z.string(),
  /**
   * The origin of the provider's API root when the key was saved: the key is sent to
   * no other. Absent in values saved before keys were bound (bound at their first use).
   */
  origin: z.string().optional(),
  /** The scope to inherit from once these settings are gone (their own key wins while they last). */
  inherit_from: z.string().optional(),
});
export type StoredSettings = z.infer<typeof StoredSettingsSchema>;

/** The plaintext of a scope that has no settings of its own, only the scope it inherits from. */
export const StoredLinkSchema = z.strictObject({ scope: z.string(), inherit_from: z.string() });
export type StoredLink = z.infer<typeof StoredLinkSchema>;

/** What a scope's stored token holds: its own settings, or a link alone. */
export const StoredValueSchema = z.union([StoredSettingsSchema, StoredLinkSchema]);
export type StoredValue = StoredSettings | StoredLink;

/** True when the value holds settings of its own (a provider, a model, a key). */
export function hasOwnSettings(value: StoredValue): value is StoredSettings {
  return 'provider' in value;
}

/** The history of a scope: `?limit=50&before=<cursor>`. */
export const HistoryQuerySchema = z.strictObject(
  {
    limit: z.coerce
      .number({ error: () => 'limit must be a whole number from 1 to 200' })
      .int('limit must be a whole number from 1 to 200')
      .min(1, 'limit must be a whole number from 1 to 200')
      .max(200, 'limit must be a whole number from 1 to 200')
      .default(50),
    before: z
      .string({ error: () => 'before must be the cursor of a previous page' })
      .regex(/^[1-9][0-9]{0,15}$/, 'before must be the cursor of a previous page')
      .nullable()
      .default(null),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'the query parameters are limit and before' : 'the query must be an object') },
);

export const HISTORY_ACTIONS = ['update', 'delete', 'inherit', 'rotate', 'confirm-endpoint', 'revoke-tokens'] as const;
export const HISTORY_FIELDS = ['provider', 'model', 'api_key', 'inherit_from'] as const;

/** One change of a scope's settings: what, when, by whom; never a key, a mask or a body. */
export const HistoryEntrySchema = z.strictObject({
  at: z.iso.datetime(),
  scope: z.string(),
  action: z.string().describe(`One of ${HISTORY_ACTIONS.join(', ')}.`),
  actor: z.string().describe('admin, token:<jti>, jwt:<sub>, embedded or cli.'),
  fields: z.array(z.string()).describe(`The fields changed, of ${HISTORY_FIELDS.join(', ')}.`),
  api_key_changed: z.boolean(),
});
export type LlmHistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** A page of history, newest first; `next` is the cursor of the following page, null after the last. */
export const HistoryPageSchema = z.strictObject({ entries: z.array(HistoryEntrySchema), next: z.string().nullable() });
export type LlmHistoryPage = z.infer<typeof HistoryPageSchema>;

/** The query of a model list: which provider's models, the stored provider's when omitted. */
export const LlmModelListQuerySchema = DEFAULT_INPUT_SCHEMAS.modelListQuery;

/** A key to list the models of before it is saved. */
export const LlmModelListCandidateSchema = DEFAULT_INPUT_SCHEMAS.modelListCandidate;
export type LlmModelListCandidate = z.infer<typeof LlmModelListCandidateSchema>;

export const MODEL_LIST_SOURCES = ['live', 'catalogue'] as const;

/**
 * Why a model list is the built-in catalogue: `no_stored_key` (no key is stored for
 * that provider), `listing_disabled` (this service lists no models live), or the code
 * of the failed listing, as POST /test reports it.
 */
export type ModelListReason = 'no_stored_key' | 'listing_disabled' | Exclude<ProbeCode, 'ok'>;
export const MODEL_LIST_REASONS = [
  'no_stored_key',
  'listing_disabled',
  ...PROBE_CODES.filter((code): code is Exclude<ProbeCode, 'ok'> => code !== 'ok'),
] as [ModelListReason, ...ModelListReason[]];

export const LlmModelSchema = z.strictObject({
  id: z.string(),
  display_name: z.string(),
  /** The model used when settings name none. */
  default: z.boolean(),
});
export type LlmModel = z.infer<typeof LlmModelSchema>;

/** The models to choose from: the key's own (`live`) or the built-in catalogue, with why. */
export const LlmModelListSchema = z.strictObject({
  provider: ProviderIdSchema,
  source: z.enum(MODEL_LIST_SOURCES),
  models: z.array(LlmModelSchema),
  /** Present when `source` is `catalogue`. */
  reason: z.enum(MODEL_LIST_REASONS).optional(),
  /** Present with `reason`: short, human and fixed wording, never provider text. */
  message: z.string().optional(),
});
export type LlmModelList = z.infer<typeof LlmModelListSchema>;

/** An enabled provider as clients see it, to build a provider list from. */
export const LlmProviderInfoSchema = z.strictObject({
  id: z.string(),
  display_name: z.string(),
  /** The wire protocol: which official SDK talks to the provider's pass-through. */
  dialect: z.enum(['anthropic', 'openai']),
  key_required: z.boolean(),
  default_model: z.string(),
});
export type LlmProviderInfo = z.infer<typeof LlmProviderInfoSchema>;

/** The providers this server enables, in its order (the first is the default). */
export const LlmProviderListSchema = z.strictObject({ providers: z.array(LlmProviderInfoSchema) });
export type LlmProviderList = z.infer<typeof LlmProviderListSchema>;
