import type { ProviderRegistry } from '@llm-settings/core';
import { knownVariables } from './config.js';

/**
 * Prefixes of this server's variables that other software seldom uses: a name with one of
 * them that is none of its variables is most likely misspelt. Left out: `LLM_` (applications
 * have their own LLM_MODEL, LLM_API_KEY), `NODE_`, `HOST`, `PORT`, `LOG_`, `DATABASE_`,
 * `CORS_`, `ALLOWED_` and the providers' names (ANTHROPIC_API_KEY is the SDK's).
 */
const OWN_PREFIXES = ['SETTINGS_', 'LLM_SETTINGS', 'LLM_PROVIDER', 'METRICS', 'PROXY_', 'PROBE_', 'USAGE_', 'HISTORY_', 'MODEL_LIST_', 'ENCRYPTION_', 'ALLOW_UN'];
/** Edits (a letter added, dropped, changed, or two swapped) within which a known name is offered. */
const MAX_TYPO_EDITS = 2;

export interface UnknownVariable {
  name: string;
  /** The known variable `name` is likely a misspelling of, or null. */
  closest: string | null;
}

/**
 * The variables of `env`, in any case, that look like this server's (see OWN_PREFIXES) but
 * are none of them, sorted, each with the known name it most likely misspells. Names only,
 * never values.
 */
export function unknownVariables(env: Record<string, string | undefined>, providers: ProviderRegistry): UnknownVariable[] {
  const known = knownVariables(providers);
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && !known.includes(name) && OWN_PREFIXES.some((prefix) => name.toUpperCase().startsWith(prefix)))
    .sort()
    .map((name) => ({ name, closest: closestName(name.toUpperCase(), known) }));
}

function closestName(name: string, known: readonly string[]): string | null {
  let best: { name: string; edits: number } | null = null;
  for (const candidate of known) {
    const edits = editDistance(name, candidate);
    if (edits <= MAX_TYPO_EDITS && (best === null || edits < best.edits)) best = { name: candidate, edits };
  }
  return best?.name ?? null;
}

/** Optimal string alignment distance: a letter inserted, deleted or changed, or two neighbours swapped, is one edit each. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let edits = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) edits = Math.min(edits, at(i - 2, j - 2) + 1);
      rows[i]![j] = edits;
    }
  }
  return at(a.length, b.length);
}
