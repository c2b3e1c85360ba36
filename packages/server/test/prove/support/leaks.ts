/** Shortest run of a secret's characters that counts as a leak. */
export const LEAK_WINDOW = 8;

/** One place where part of a secret was found. */
export interface Leak {
  /** Name of the secret (never the secret itself). */
  secret: string;
  /** Where it was found, e.g. "stdout" or "sqlite file settings.db-wal". */
  source: string;
  /** Offset of the first matching window in the source. */
  at: number;
}

/**
 * Looks for every run of {@link LEAK_WINDOW} consecutive characters of each secret in
 * each source. Buffers are read as latin1, so ASCII secrets are found in raw file bytes.
 */
export function findLeaks(secrets: Readonly<Record<string, string>>, sources: Readonly<Record<string, string | Buffer>>): Leak[] {
  const leaks: Leak[] = [];
  for (const [source, content] of Object.entries(sources)) {
    const text = typeof content === 'string' ? content : content.toString('latin1');
    for (const [name, secret] of Object.entries(secrets)) {
      for (let i = 0; i + LEAK_WINDOW <= secret.length; i++) {
        const at = text.indexOf(secret.slice(i, i + LEAK_WINDOW));
        if (at >= 0) {
          leaks.push({ secret: name, source, at });
          break;
        }
      }
    }
  }
  return leaks;
}

/** A readable list of leaks for an assertion message (names and places, not the secrets). */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map((l) => `${l.secret} in ${l.source} at ${l.at}`).join('; ');
}
