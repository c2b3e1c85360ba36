/**
 * A finder of key material in text: every run of 8 characters of the given keys, so that a
 * key cut short, wrapped or split across lines is still found. Returns the first run seen.
 */
export function keyRunFinder(keys: readonly string[]): (text: string) => string | undefined {
  const runs = keys.flatMap((key) => Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8)));
  return (text) => runs.find((run) => text.includes(run));
}

/**
 * A finder of a key's echoes in an answer: the whole key, any run of 8 characters of its
 * secret part (all but its public prefix, such as `sk-ant-api03-`, and its last four,
 * which every settings view shows), and masked echoes (`*`, `.` or `•` before its last
 * four). Returns the first echo seen.
 */
export function keyEchoFinder(key: string, publicPrefix: string): (text: string) => string | undefined {
  if (!key.startsWith(publicPrefix)) throw new Error('the public prefix must start the key');
  const secret = key.slice(publicPrefix.length, -4);
  const tail = key.slice(-4);
  const echoes = [key, ...Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8)), `*${tail}`, `.${tail}`, `•${tail}`];
  return (text) => echoes.find((echo) => text.includes(echo));
}
