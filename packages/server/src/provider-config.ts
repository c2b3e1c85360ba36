import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import {
  apiRootProblem,
  baseUrlVariableOf,
  DEFAULT_ENABLED_PROVIDERS,
  ModelSchema,
  openAiCompatible,
  PROVIDER_ID_PATTERN,
  PROVIDERS,
  ProviderRegistry,
  type ProviderDescriptor,
} from '@llm-settings/core';

/** The provider part of the configuration: which providers, and where their APIs are. */
export interface ProviderConfig {
  /** LLM_PROVIDERS, then the ids of LLM_PROVIDERS_FILE. */
  enabled: string[];
  /** The providers of LLM_PROVIDERS_FILE. */
  custom: ProviderDescriptor[];
  /** `<ID>_BASE_URL` by provider id, for the ids set. */
  baseUrls: Record<string, string>;
  /** The registry built from the above. */
  registry: ProviderRegistry;
}

/** Core's rule for a model in settings: a default or listed model it refuses could never be saved or used. */
const isModelName = (value: string) => ModelSchema.safeParse(value).success;
const MODEL_RULE = 'must be a model name: 1 to 256 printable characters without whitespace, not shaped like an API key';

/** One entry of LLM_PROVIDERS_FILE: an operator's OpenAI-compatible provider. */
const FileEntrySchema = z.strictObject({
  id: z.string().regex(PROVIDER_ID_PATTERN, 'id must be 1 to 40 lower-case letters, digits or -'),
  display_name: z.string().regex(/^[^\p{Cc}\p{Cf}]{1,80}$/u, 'display_name must be 1 to 80 printable characters'),
  base_url: z.string().superRefine((url, ctx) => {
    const problem = apiRootProblem(url);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `base_url ${problem}` });
  }),
  auth: z.enum(['bearer', 'api-key', 'x-api-key', 'none'], { error: () => 'auth must be one of: bearer, api-key, x-api-key, none' }),
  default_model: z.string().refine(isModelName, `default_model ${MODEL_RULE}`),
  models: z
    .array(z.string(), { error: () => 'models must be an array of model ids' })
    .max(500, 'models must list at most 500 ids')
    .superRefine((models, ctx) => {
      models.forEach((model, index) => {
        if (!isModelName(model)) ctx.addIssue({ code: 'custom', message: `models entry ${index + 1} ${MODEL_RULE}` });
      });
    }),
});

/**
 * Reads LLM_PROVIDERS, LLM_PROVIDERS_FILE and every `<ID>_BASE_URL`. Each problem is one
 * line of `issues`, naming the variable (and the file's entry and field), never a value.
 */
export function loadProviderConfig(env: Record<string, string | undefined>, cwd: string, issues: string[]): ProviderConfig | null {
  const before = issues.length;
  const custom = readProvidersFile(env.LLM_PROVIDERS_FILE, cwd, issues);
  const known = new Set([...PROVIDERS.map((p) => p.id), ...custom.map((p) => p.id)]);

  const listed = env.LLM_PROVIDERS === undefined || env.LLM_PROVIDERS === '' ? [...DEFAULT_ENABLED_PROVIDERS] : env.LLM_PROVIDERS.split(',').map((id) => id.trim());
  const unknown = listed.flatMap((id, index) => (known.has(id) ? [] : [index + 1]));
  if (unknown.length > 0) {
    const which = unknown.length === 1 ? `entry ${unknown[0]} is` : `entries ${unknown.join(', ')} are`;
    issues.push(`LLM_PROVIDERS ${which} not a known provider; the known ones are: ${[...known].join(', ')}`);
  }

  const baseUrls: Record<string, string> = {};
  for (const id of known) {
    const name = baseUrlVariableOf(id);
    const value = env[name];
    if (value === undefined || value === '') continue;
    const problem = apiRootProblem(value);
    if (problem === null) baseUrls[id] = value;
    else issues.push(`${name} ${problem}`);
  }

  const enabled = [...new Set([...listed, ...custom.map((p) => p.id)])];
  for (const id of enabled) {
    const descriptor = PROVIDERS.find((p) => p.id === id);
    if (descriptor?.defaultBaseUrl === null && !Object.hasOwn(baseUrls, id)) {
      issues.push(`${baseUrlVariableOf(id)} is required when ${id} is enabled: ${descriptor.displayName} has no default API root (give the resource's /openai/v1 root)`);
    }
  }
  if (issues.length > before) return null;
  return { enabled, custom, baseUrls, registry: new ProviderRegistry({ enabled, custom, baseUrls }) };
}

function readProvidersFile(path: string | undefined, cwd: string, issues: string[]): ProviderDescriptor[] {
  if (path === undefined || path === '') return [];
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(isAbsolute(path) ? path : resolve(cwd, path), 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    issues.push(`LLM_PROVIDERS_FILE ${reason}`);
    return [];
  }
  if (!Array.isArray(data)) {
    issues.push('LLM_PROVIDERS_FILE must hold a JSON array of providers');
    return [];
  }
  const builtIns = new Set(PROVIDERS.map((p) => p.id));
  const seen = new Set<string>();
  const custom: ProviderDescriptor[] = [];
  data.forEach((entry: unknown, index) => {
    const parsed = FileEntrySchema.safeParse(entry);
    // The id names the entry when it is one; the position always does.
    const rawId = typeof (entry as { id?: unknown } | null)?.id === 'string' ? (entry as { id: string }).id : '';
    const label = `LLM_PROVIDERS_FILE entry ${index + 1}${PROVIDER_ID_PATTERN.test(rawId) ? ` (${rawId})` : ''}`;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[0];
        const message = issue.code === 'unrecognized_keys' ? `has unknown fields; the fields are: ${Object.keys(FileEntrySchema.shape).join(', ')}` : issue.code === 'invalid_type' && field !== undefined && !(String(field) in (entry as object)) ? `${String(field)} is required` : issue.message;
        issues.push(`${label}: ${typeof entry === 'object' && entry !== null ? message : 'must be a JSON object'}`);
      }
      return;
    }
    const { id, display_name, base_url, auth, default_model, models } = parsed.data;
    if (builtIns.has(id)) return void issues.push(`${label}: id ${id} is a built-in provider; choose another id`);
    if (seen.has(id)) return void issues.push(`${label}: id ${id} is listed twice`);
    seen.add(id);
    const ids = models.includes(default_model) ? models : [default_model, ...models];
    custom.push(
      openAiCompatible({
        id,
        displayName: display_name,
        defaultBaseUrl: base_url,
        auth,
        keyRequired: auth !== 'none',
        // A server of unknown make: its model list is the one route every compatible server has.
        keyTest: 'model-list',
        defaultModel: default_model,
        catalogue: [...new Set(ids)].map((model) => ({ id: model, displayName: model })),
      }),
    );
  });
  return custom;
}
