import { PROBLEM_CODES } from '@llm-settings/http-koa';
import type { Exchange } from './http-client.js';

const PROBE_CODES = ['ok', 'invalid_api_key', 'permission_denied', 'model_not_found', 'rate_limited', 'provider_unavailable', 'timeout', 'network_error'];
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasExactKeys = (value: Json, keys: string[]) => Object.keys(value).sort().join() === [...keys].sort().join();

/** A settings view: exactly the eight public fields, never a key. */
export function isSettingsView(value: unknown): boolean {
  return (
    isObject(value) &&
    hasExactKeys(value, ['provider', 'model', 'api_key_set', 'api_key_masked', 'updated_at', 'model_verified', 'api_key_source', 'inherit_from']) &&
    typeof value.model_verified === 'boolean' &&
    (value.api_key_source === 'own' || value.api_key_source === 'inherited' || value.api_key_source === 'none') &&
    (value.inherit_from === null || typeof value.inherit_from === 'string') &&
    (value.provider === 'anthropic' || value.provider === 'openai') &&
    typeof value.model === 'string' &&
    typeof value.api_key_set === 'boolean' &&
    (value.api_key_masked === null || (typeof value.api_key_masked === 'string' && /^\.\.\.[\x21-\x7e]{0,4}$/.test(value.api_key_masked))) &&
    (value.updated_at === null || (typeof value.updated_at === 'string' && ISO_DATE.test(value.updated_at)))
  );
}

/** A connection test result. */
export function isTestResult(value: unknown): boolean {
  return (
    isObject(value) &&
    hasExactKeys(value, ['success', 'message', 'latency_ms', 'code']) &&
    typeof value.success === 'boolean' &&
    typeof value.message === 'string' &&
    (value.latency_ms === null || (Number.isInteger(value.latency_ms) && (value.latency_ms as number) >= 0)) &&
    PROBE_CODES.includes(value.code as string) &&
    value.success === (value.code === 'ok')
  );
}

const MODEL_LIST_REASONS = ['no_stored_key', 'listing_disabled', ...PROBE_CODES.filter((code) => code !== 'ok')];

/** A model list: the provider, live or the catalogue (then with its reason and message), each model's three fields. */
export function isModelList(value: unknown): boolean {
  if (!isObject(value) || !Array.isArray(value.models)) return false;
  const live = value.source === 'live';
  return (
    hasExactKeys(value, live ? ['provider', 'source', 'models'] : ['provider', 'source', 'models', 'reason', 'message']) &&
    (value.provider === 'anthropic' || value.provider === 'openai') &&
    (live || (value.source === 'catalogue' && MODEL_LIST_REASONS.includes(value.reason as string) && typeof value.message === 'string')) &&
    value.models.every(
      (m: unknown) => isObject(m) && hasExactKeys(m, ['id', 'display_name', 'default']) && typeof m.id === 'string' && typeof m.display_name === 'string' && typeof m.default === 'boolean',
    )
  );
}

/** A 503 from /readyz: the readiness report, naming the failed check. */
function isNotReady(exchange: Exchange): boolean {
  try {
    const body = JSON.parse(exchange.text) as unknown;
    return isObject(body) && body.status === 'not_ready' && isObject(body.checks) && Object.values(body.checks).includes('fail');
  } catch {
    return false;
  }
}

/** Problems with a problem document, or [] when it is a well-formed RFC 9457 body of ours. */
export function problemIssues(exchange: Exchange): string[] {
  const issues: string[] = [];
  if (!String(exchange.headers['content-type']).startsWith('application/problem+json')) issues.push(`content-type ${exchange.headers['content-type']}`);
  if (exchange.method === 'HEAD') return issues;
  let body: unknown;
  try {
    body = JSON.parse(exchange.text);
  } catch {
    return [...issues, 'body is not JSON'];
  }
  if (!isObject(body)) return [...issues, 'body is not an object'];
  const { type, title, status, detail, code, errors, error, ...rest } = body;
  if (typeof type !== 'string' || !type.startsWith('urn:llm-settings:problem:')) issues.push('type');
  if (typeof title !== 'string' || title === '') issues.push('title');
  if (status !== exchange.status) issues.push('status differs from the HTTP status');
  if (typeof detail !== 'string' || detail === '') issues.push('detail');
  if (!(PROBLEM_CODES as readonly string[]).includes(code as string)) issues.push(`unknown code ${String(code)}`);
  if (errors !== undefined && !(Array.isArray(errors) && errors.every((e) => isObject(e) && typeof e.path === 'string' && typeof e.message === 'string'))) {
    issues.push('errors');
  }
  // On the LLM pass-through only: the provider's error object, with the same detail and code.
  if (error !== undefined) {
    const passThrough = /^\/api\/llm\/(anthropic|openai)\//.test(exchange.path);
    const same = isObject(error) && error.message === detail && (error.code === code || (isObject(error.details) && error.details.error_code === code));
    if (!passThrough || !same) issues.push('error object');
  }
  if (Object.keys(rest).length > 0) issues.push(`extra fields ${Object.keys(rest).join(',')}`);
  if (exchange.status === 405 && !exchange.headers.allow) issues.push('405 without Allow');
  if (exchange.status === 401 && !exchange.headers['www-authenticate']) issues.push('401 without WWW-Authenticate');
  if ((exchange.status === 503 || exchange.status === 429) && exchange.headers['retry-after'] === undefined) issues.push('no Retry-After');
  return issues;
}

/** The settings page's files (SETTINGS_UI, on by default), by path, with their media type. */
const SETTINGS_PAGE_FILES: Readonly<Record<string, string>> = {
  '/': 'text/html',
  '/ui/app.js': 'text/javascript',
  '/ui/app.css': 'text/css',
  '/ui/icon.svg': 'image/svg+xml',
};

/** A 200 from the settings page: its own file, of its type, under its Content-Security-Policy. */
function settingsPageIssues(exchange: Exchange, type: string): string[] {
  const issues: string[] = [];
  if (exchange.method !== 'GET' && exchange.method !== 'HEAD') issues.push(`settings page answered ${exchange.method}`);
  if (!String(exchange.headers['content-type']).startsWith(type)) issues.push(`settings page content-type ${exchange.headers['content-type']}`);
  if (!String(exchange.headers['content-security-policy']).startsWith("default-src 'none';")) issues.push('settings page without its Content-Security-Policy');
  if (exchange.method === 'HEAD' && exchange.text !== '') issues.push('HEAD with a body');
  return issues;
}

/**
 * Why an answer is not acceptable, or [] when it is: a well-formed problem (4xx), or a
 * success of the kind the route gives (view, test result, model list, 204, health, OpenAPI, the
 * settings page's files). Any 5xx is refused unless listed in `allowedServerErrors`.
 */
export function answerIssues(exchange: Exchange, allowedServerErrors: readonly number[] = []): string[] {
  const { status, method } = exchange;
  if (status >= 500 && !allowedServerErrors.includes(status)) return [`server error ${status}`];
  if (status === 503 && exchange.path === '/readyz') return isNotReady(exchange) ? [] : ['readiness failure without its report'];
  if (status >= 400) return problemIssues(exchange);
  if (status === 204) return exchange.text === '' && method === 'DELETE' ? [] : ['unexpected 204'];
  if (status !== 200) return [`unexpected status ${status}`];
  const pageFileType = SETTINGS_PAGE_FILES[new URL(exchange.path, 'http://server').pathname];
  if (pageFileType !== undefined) return settingsPageIssues(exchange, pageFileType);
  if (!String(exchange.headers['content-type']).startsWith('application/json')) return [`content-type ${exchange.headers['content-type']}`];
  if (method === 'HEAD') return exchange.text === '' ? [] : ['HEAD with a body'];
  let body: unknown;
  try {
    body = JSON.parse(exchange.text);
  } catch {
    return ['200 body is not JSON'];
  }
  if (isSettingsView(body)) return (method === 'GET' || method === 'PUT') && /^"[^"]+"$/.test(String(exchange.headers.etag)) ? [] : ['view without ETag or from the wrong method'];
  if (isTestResult(body)) return method === 'POST' ? [] : ['test result from a method other than POST'];
  if (isModelList(body)) return new URL(exchange.path, 'http://server').pathname === '/api/settings/llm/models' ? [] : ['model list from another route'];
  if (isObject(body) && (body.status === 'ok' || body.status === 'ready' || typeof body.openapi === 'string')) return method === 'GET' ? [] : ['health or contract from a method other than GET'];
  return ['200 body is neither a view, a test result, a model list, health nor the contract'];
}
