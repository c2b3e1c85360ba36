/** Keys shorter than this are masked as "..." alone: four characters of a short key say too much. */
const MIN_LENGTH_TO_SHOW_TAIL = 16;
const VISIBLE_TAIL = 4;
export const MASK_PREFIX = '...';

/**
 * The only form in which a stored key is ever shown: "..." plus its last four
 * characters, or "..." alone for short keys. The key's length is never revealed.
 */
export function maskApiKey(apiKey: string): string {
  if (apiKey.length < MIN_LENGTH_TO_SHOW_TAIL) return MASK_PREFIX;
  return MASK_PREFIX + apiKey.slice(-VISIBLE_TAIL);
}

/** True for values that look like our mask (or a bulleted one) rather than a real key. */
export function looksMasked(value: string): boolean {
  return value.startsWith(MASK_PREFIX) || value.includes('*') || value.includes('•');
}

/** Key prefixes of the providers (`sk-`, `sk-ant-…`, `sk-proj-…`), anywhere a word starts. */
const KEY_PREFIX = /(?:^|[^A-Za-z0-9])sk-/i;
/**
 * A hex secret (Azure-style keys, tokens): 32 or more hex digits with letters and digits.
 * Tried only where a run of hex digits starts, so that a long run is read once, not again
 * from each of its digits (a model name is checked at any length).
 */
const HEX_SECRET = /(?<![0-9a-f])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{32,}/i;
/** Fewer letters and digits than this are never taken for random text. */
const MIN_RANDOM_LENGTH = 20;
/**
 * Share of neighbouring letters and digits (within a run, not across `-`, `.`, `/` …)
 * that switch between lower case, upper case and digit. Random base62 or base64 switches
 * at about 0.62; model names (`claude-opus-4-1-20250805`, `DeepSeek-R1-Distill-Llama-70B`,
 * fine-tune suffixes) stay at or below about 0.3.
 */
const RANDOM_SWITCH_RATE = 0.35;

/** True for text holding a provider's key prefix (`sk-` where a word starts): never a name. */
export function hasKeyPrefix(text: string): boolean {
  return KEY_PREFIX.test(text);
}

/**
 * True for text that looks like an API key rather than a name: a provider's key prefix,
 * a long hex secret, or letters and digits that switch class as often as random text.
 */
export function looksLikeApiKey(text: string): boolean {
  if (KEY_PREFIX.test(text) || HEX_SECRET.test(text)) return true;
  let pairs = 0;
  let switches = 0;
  let letters = 0;
  for (const run of text.match(/[A-Za-z0-9]+/g) ?? []) {
    letters += run.length;
    for (let i = 1; i < run.length; i++) {
      pairs++;
      if (characterClass(run.charCodeAt(i)) !== characterClass(run.charCodeAt(i - 1))) switches++;
    }
  }
  return letters >= MIN_RANDOM_LENGTH && pairs > 0 && switches / pairs >= RANDOM_SWITCH_RATE;
}

function characterClass(code: number): 'digit' | 'lower' | 'upper' {
  if (code <= 57) return 'digit';
  return code >= 97 ? 'lower' : 'upper';
}
