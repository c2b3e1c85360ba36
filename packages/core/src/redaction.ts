/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Substrings shaped like provider API keys: Anthropic (`sk-ant-…`), OpenAI (`sk-…`,
 * `sk-proj-…`) and masked echoes of them (`sk-proj-****abcd`).
 */
const KEY_SHAPED = /\bsk-[A-Za-z0-9_*•-]{6,}/g;
/** Field names whose values are secrets wherever they appear in structured data. */
export const SECRET_FIELD_NAMES: readonly string[] = ['api_key', 'apiKey', 'authorization', 'x-api-key', 'password', 'token', 'secret'];

/** Replaces anything shaped like a provider key, and every given secret, in free text. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join(REDACTED);
  }
  return out.replace(KEY_SHAPED, REDACTED);
}

/**
 * A deep copy of `value` with secret-named fields replaced and key-shaped strings
 * redacted. Cycles and depth are bounded so it is safe on arbitrary error objects.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[Truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_FIELD_NAMES.includes(key.toLowerCase()) || SECRET_FIELD_NAMES.includes(key)
      ? REDACTED
      : redactDeep(field, depth + 1, seen);
  }
  return out;
}
