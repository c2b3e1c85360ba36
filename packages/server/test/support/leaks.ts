/**
 * A finder of key material in text: every run of 8 characters of the given keys, so that a
 * key cut short, wrapped or split across lines is still found. Returns the first run seen.
 */
export function keyRunFinder(keys: readonly string[]): (text: string) => string | undefined {
  const runs = keys.flatMap((key) => Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8)));
  return (text) => runs.find((run) => text.includes(run));
}
