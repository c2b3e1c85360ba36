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
