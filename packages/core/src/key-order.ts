/**
 * The key order `SettingsStore.list` promises: by Unicode code point. JavaScript's
 * default sort compares UTF-16 code units, which puts U+FF5E after an emoji.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return left.length - right.length;
}
