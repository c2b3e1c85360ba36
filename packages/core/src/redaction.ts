import type { ProviderAuth } from './providers.js';

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Keys of the built-in providers whose prefix is not `sk-`, as RegExp source: xAI's (`xai-`
 * and about 80 letters and digits), Groq's (`gsk_` and 52) and Google's (`AIza` and 35 of
 * `[A-Za-z0-9_-]`). Each asks for fewer characters than its keys have, so that a cut key
 * is still one, and more than a word or a name has, so that `xai-team` or `gsk_test` is not.
 */
export const PREFIXED_KEY_SOURCE = ['xai-[A-Za-z0-9]{32,}', 'gsk_[A-Za-z0-9]{32,}', 'AIza[A-Za-z0-9_-]{30,}'].join('|');
/** Where a key may start: not inside a run of letters and digits (`task-sk` holds no key). */
const WORD_START = '(?<![A-Za-z0-9])';

/** A character of a key's body, and where a run of them starts (not inside one). */
const RUN = '[A-Za-z0-9_-]';
const RUN_START = `(?<!${RUN})`;
/** What a masked echo ends with: mask characters, `…` or `...`, then at least four of the key. */
const MASK_THEN_TAIL = `(?:[*•]+|…|\\.{3})${RUN}{4,}`;

/**
 * Substrings shaped like provider API keys: Anthropic (`sk-ant-…`), OpenAI (`sk-…`,
 * `sk-proj-…`), xAI, Groq and Google ({@link PREFIXED_KEY_SOURCE}), and masked echoes of
 * them, which still show a key's last four characters: a mask after the prefix
 * (`sk-proj-****abcd`, `sk-…abcd`, `sk-...abcd`, `xai-...abcd`) or a run of mask
 * characters alone (`••••abcd`, `****abcd`). The echo comes first, so that a prefix long
 * enough to be a key on its own is not taken without its tail. Our own mask (`...abcd`,
 * core's `maskApiKey`) is left alone: it is what logs and answers show by design.
 *
 * Linear in the text (this runs on outside text: error bodies, log lines): a match that
 * spans a run of key characters is tried only where the run starts, and the run is read
 * once, never again from each character of it. A masked echo after a prefix inside a run
 * (`org-sk-…abcd`) is matched from the run's start, the part before the first prefix
 * captured (`$1`) and kept; that first prefix decides, as every prefix of one run ends at
 * the same mask. A run of mask characters alone is tried where it starts.
 */
const KEY_SHAPED = new RegExp(
  [
    // From a run's start, only when a mask follows the run (the cheap test first).
    `${RUN_START}(?=${RUN}+[*•….])(?:${RUN}+[*•]{3,}${RUN}{4,}|(?=${RUN}+${MASK_THEN_TAIL})(${RUN}*?[_-])??(?:sk-|xai-|gsk_|AIza)${RUN}*${MASK_THEN_TAIL})`,
    `${WORD_START}(?:sk-[A-Za-z0-9_*•-]{6,}|${PREFIXED_KEY_SOURCE})`,
    `(?<![*•])[*•]{3,}${RUN}{4,}`,
  ].join('|'),
  'g',
);
/** Text holding none of these holds nothing key-shaped: the cheap test before the pattern, on every log line. */
const KEY_SHAPED_MARKS = ['sk-', 'xai-', 'gsk_', 'AIza', '**', '••'];

/**
 * The header each way of sending a key (a provider descriptor's `auth`) puts it in: a new
 * way does not compile until its header is named here, so no provider's key header is
 * left out of {@link SECRET_FIELD_NAMES}.
 */
const KEY_HEADERS: Readonly<Record<Exclude<ProviderAuth, 'none'>, string>> = {
  bearer: 'authorization',
  'x-api-key': 'x-api-key',
  'api-key': 'api-key',
};
/**
 * Examples of secret field names ({@link isSecretFieldName} has the rule): every provider's
 * key header, Google's own `x-goog-api-key`, the usual names and the server's own secret
 * variables.
 */
export const SECRET_FIELD_NAMES: readonly string[] = [
  ...Object.values(KEY_HEADERS),
  'x-goog-api-key',
  'api_key',
  'apiKey',
  'password',
  'token',
  'secret',
  'client_secret',
  'access_token',
  'cookie',
  'set-cookie',
  'ENCRYPTION_KEY',
  'SETTINGS_API_TOKEN',
  'SETTINGS_TOKEN_SECRET',
  'METRICS_TOKEN',
];

/**
 * How a secret field name ends once lower-cased and stripped of `_` and `-`. Plural `tokens`
 * is not one: `input_tokens` counts usage. A name that goes on past the ending
 * (`api_key_set`, `api_key_masked`, `key_check`, `token_count`) describes a secret without
 * holding it.
 */
const SECRET_NAME_ENDINGS = ['key', 'token', 'secret', 'secrets', 'password', 'passwd', 'passphrase', 'authorization', 'cookie', 'credential', 'credentials'];
/** Names already judged: a log line's field names repeat, and this runs on each. Bounded, as names may come from outside. */
const secretNames = new Map<string, boolean>();
const SECRET_NAMES_CACHED = 1_000;
const SEPARATORS = /[_-]/g;

/**
 * Whether a field (or query parameter) of this name holds a secret: its name, lower-cased and
 * without `_` and `-`, ends with `key`, `token`, `secret(s)`, `password`, `passwd`,
 * `passphrase`, `authorization`, `cookie` or `credential(s)`. So `api_key`, `X-Api-Key`,
 * `ENCRYPTION_KEY`, `SETTINGS_API_TOKEN`, `SETTINGS_TOKEN_SECRET`, `PGPASSWORD` and
 * `Set-Cookie` do, and `api_key_set`, `key_check` and `input_tokens` do not.
 */
export function isSecretFieldName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    const normalized = name.toLowerCase().replace(SEPARATORS, '');
    secret = SECRET_NAME_ENDINGS.some((ending) => normalized.endsWith(ending));
    if (secretNames.size < SECRET_NAMES_CACHED) secretNames.set(name, secret);
  }
  return secret;
}

/** Replaces anything shaped like a provider key, and every given secret, in free text. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  // Every key-shaped match holds a key prefix or a run of mask characters: most text (ids,
  // routes, messages) has none, and this runs on every log line.
  return KEY_SHAPED_MARKS.some((mark) => out.includes(mark)) ? out.replace(KEY_SHAPED, `$1${REDACTED}`) : out;
}

/** A URL in text: a scheme, `://`, and on to the next space, quote or angle bracket. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
/** A URL's password: from the `:` after the user name to the last `@` of the authority. */
const URL_PASSWORD = /^([^:]+:\/\/[^/?#@:]*:)[^/?#]+@/;
const QUERY_PARAMETER = /([?&])([^=&#]+)=([^&#]*)/g;

/**
 * {@link redactText}, and the secrets of the URLs in the text: a password (a DATABASE_URL's)
 * and the values of secret-named query parameters ({@link isSecretFieldName}: `?api_key=`,
 * `?password=`, `&sslpassword=`). What the logger applies to every string it writes.
 */
export function redactLogText(text: string): string {
  const out = redactText(text);
  // A URL holds a secret only after `user:` (an `@` follows) or in a query (an `=`): most
  // URLs logged (a provider's root, an origin) have neither, and this runs on every string.
  return out.includes('://') && (out.includes('@') || out.includes('=')) ? out.replace(URL_IN_TEXT, withoutUrlSecrets) : out;
}

function withoutUrlSecrets(url: string): string {
  return url
    .replace(URL_PASSWORD, `$1${REDACTED}@`)
    .replace(QUERY_PARAMETER, (parameter, separator: string, name: string, value: string) =>
      value !== '' && isSecretFieldName(name) ? `${separator}${name}=${REDACTED}` : parameter,
    );
}

/** Set on log fields whose author redacted them (see {@link redactedFields}); a symbol key, which no serializer writes. */
const FIELDS_REDACTED = Symbol('llm-settings.fields-redacted');

/**
 * Marks log fields whose author has already redacted every string from outside in them
 * (with {@link redactText} or a stricter scrub), the rest being the app's own values, so
 * that {@link redactDeep} passes them as they are: the request line, written on every
 * request, is made that way and need not be walked again.
 */
export function redactedFields<T extends object>(fields: T): T {
  (fields as Record<symbol, unknown>)[FIELDS_REDACTED] = true;
  return fields;
}

/**
 * `value` with secret-named fields ({@link isSecretFieldName}) replaced and strings
 * redacted ({@link redactLogText}), at any depth. A secret-named field that is null or a
 * boolean is kept: it says whether a secret is there, not what it is. An object with a
 * `toJSON` method is replaced by what that gives, as `JSON.stringify` (and so pino) would
 * write it, and then redacted: a class that hides a secret in its serialised form (a
 * `Secret`, a config object) is written that way. Plain objects and arrays are copied only
 * where something changes (this runs on every log line); any other object (an Error, a
 * class instance) becomes a plain copy of its own enumerable fields, so nothing it hides
 * can be serialised later. Cycles and depth are bounded so it is safe on arbitrary error
 * objects.
 */
export function redactDeep(value: unknown, depth = 0, seen: WeakSet<object> | null = null): unknown {
  if (typeof value === 'string') return redactLogText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth === 0 && (value as Record<symbol, unknown>)[FIELDS_REDACTED] === true) return value;
  if (depth > 8 || seen?.has(value)) return '[Truncated]';
  seen?.add(value);
  // The objects met on the way down are tracked from the first nested one on: a log
  // line's fields are mostly flat, and this runs on every line.
  const seenBelow = (field: unknown) => (typeof field === 'object' && field !== null ? (seen ??= new WeakSet([value])) : seen);
  const serialised = jsonFormOf(value);
  if (serialised !== value) return redactDeep(serialised, depth + 1, seenBelow(serialised));
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item, i) => {
      const redacted = redactDeep(item, depth + 1, seenBelow(item));
      if (redacted !== item) (copy ??= [...value])[i] = redacted;
    });
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value);
  const plain = prototype === Object.prototype || prototype === null;
  let copy: Record<string, unknown> | null = plain ? null : {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const field = (value as Record<string, unknown>)[key];
    const redacted = holdsSecret(key, field) ? REDACTED : redactDeep(field, depth + 1, seenBelow(field));
    if (copy !== null) copy[key] = redacted;
    else if (redacted !== field) (copy = { ...(value as Record<string, unknown>) })[key] = redacted;
  }
  return copy ?? value;
}

function holdsSecret(name: string, field: unknown): boolean {
  return field !== null && typeof field !== 'boolean' && field !== undefined && isSecretFieldName(name);
}

/** What `JSON.stringify` writes for `value`: what its `toJSON` gives, or `value` itself when it has none (or it throws). */
function jsonFormOf(value: object): unknown {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function') return value;
  try {
    return toJSON.call(value) as unknown;
  } catch {
    return value;
  }
}

/** A run of a key this long is a leak even when the rest of the key is absent. */
const LEAKING_RUN_LENGTH = 8;
const VISIBLE_TAIL = 4;
const RUN_BLOCK = 4;

/**
 * Removes a key, and any echo of it, from outside text bound for the logs: the whole
 * key, anything key-shaped ({@link redactText}), any 8-character run of the key, and
 * masked echoes such as OpenAI's "sk-proj-****abcd" or "...abcd" (the key's first
 * characters or mask characters, then its last four).
 *
 * Never apply it to text that goes back to a caller who can influence that text: whether
 * it changed would tell the caller whether a guess is part of the key (an oracle).
 */
export function scrubKeyFromLogText(text: string, apiKey: string): string {
  let out = redactText(text, [apiKey]);
  if (mayHoldRun(out, apiKey)) {
    for (let start = 0; start + LEAKING_RUN_LENGTH <= apiKey.length; start++) {
      const run = apiKey.slice(start, start + LEAKING_RUN_LENGTH);
      if (out.includes(run)) out = out.split(run).join(REDACTED);
    }
  }
  // A masked echo ends with the key's last four: without them there is none, and nothing
  // to look for; this runs on every pass-through call.
  if (apiKey.length >= 2 * VISIBLE_TAIL && out.includes(apiKey.slice(-VISIBLE_TAIL))) out = withoutMaskedEchoes(out, apiKey);
  return out;
}

/**
 * False when no run of the key can be in `text`: every 8 characters of it hold one of its
 * 4-character blocks at a multiple of 4, so a text none of whose blocks is in the key holds
 * no run. A few look-ups, where trying each run of the key is one per character of it.
 */
function mayHoldRun(text: string, apiKey: string): boolean {
  if (text.length < LEAKING_RUN_LENGTH) return false;
  for (let at = 0; at + RUN_BLOCK <= text.length; at += RUN_BLOCK) {
    if (apiKey.includes(text.slice(at, at + RUN_BLOCK))) return true;
  }
  return false;
}

/**
 * `text` with the masked echoes of a key replaced: what `(?:\S*[*•.]{3}|head)\S*?tail`
 * matched (head the key's first three characters, tail its last four), found in one pass
 * where that pattern took time cubic in a run without whitespace. A match starts where
 * the search is: from there, through the first tail after the last three mask characters
 * of the run that a tail follows; failing that, from a head that a tail follows, through
 * that tail. Between the start and the tail there is no whitespace.
 */
function withoutMaskedEchoes(text: string, apiKey: string): string {
  const head = apiKey.slice(0, HEAD_LENGTH);
  const tailAfter = firstTailAfter(text, apiKey.slice(-VISIBLE_TAIL));
  let out = '';
  let copied = 0;
  // The mask alternative is tried once per run: it fails at every later start in the run,
  // a match's end included, as the last mask a tail follows is behind it.
  let maskTriedUpTo = 0;
  for (let at = 0; at < text.length; ) {
    let end = -1;
    if (at >= maskTriedUpTo && !WHITESPACE.test(text[at]!)) {
      maskTriedUpTo = runEnd(text, at);
      for (let mask = maskTriedUpTo - MASK_LENGTH; mask >= at && end < 0; mask--) {
        if (isMask(text, mask) && tailAfter[mask + MASK_LENGTH]! >= 0) end = tailAfter[mask + MASK_LENGTH]! + VISIBLE_TAIL;
      }
    }
    if (end < 0 && text.startsWith(head, at) && tailAfter[at + head.length]! >= 0) end = tailAfter[at + head.length]! + VISIBLE_TAIL;
    if (end < 0) {
      at++;
      continue;
    }
    out += text.slice(copied, at) + REDACTED;
    copied = at = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const WHITESPACE = /\s/;
const MASK_CHARACTERS = '*•.';
const MASK_LENGTH = 3;
const HEAD_LENGTH = 3;

function isMask(text: string, at: number): boolean {
  for (let i = at; i < at + MASK_LENGTH; i++) if (!MASK_CHARACTERS.includes(text[i]!)) return false;
  return true;
}

/** Where the run without whitespace from `at` ends. */
function runEnd(text: string, at: number): number {
  let end = at;
  while (end < text.length && !WHITESPACE.test(text[end]!)) end++;
  return end;
}

/** For each position, where the first `tail` at or after it starts with no whitespace before it, or -1. */
function firstTailAfter(text: string, tail: string): Int32Array {
  const found = new Int32Array(text.length + 1).fill(-1);
  for (let at = text.length - 1; at >= 0; at--) {
    if (text.startsWith(tail, at)) found[at] = at;
    else if (!WHITESPACE.test(text[at]!)) found[at] = found[at + 1]!;
  }
  return found;
}
