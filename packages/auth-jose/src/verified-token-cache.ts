import { createHash } from 'node:crypto';
import type { VerifiedToken } from './verified-token.js';

/**
 * Tokens whose signature was verified recently, so that a token presented again skips the
 * signature and the claim parsing. Keyed by the token's SHA-256, never the token itself: a
 * token differing in any character is another key, verified in full.
 */
export interface VerifiedTokenCache {
  /** The token verified earlier, when still kept at `nowMs`; null otherwise. */
  get(token: string, nowMs: number): VerifiedToken | null;
  /** Keeps `verified` until `maxAgeMs` from `nowMs` or until its `exp`, whichever comes first. */
  set(token: string, verified: VerifiedToken, nowMs: number): void;
}

interface Kept {
  readonly verified: VerifiedToken;
  readonly untilMs: number;
}

/**
 * A cache of at most `maxEntries` tokens (the oldest kept is dropped first), each kept at
 * most `maxAgeMs`: a key withdrawn from the identity provider's key set stops accepting its
 * tokens that long after. `onRead` is told of each `get`, whether it found the token
 * (a hit), for metrics. Null when `maxEntries` or `maxAgeMs` is 0 (no cache).
 */
export function verifiedTokenCache(maxEntries: number, maxAgeMs: number, onRead: ((hit: boolean) => void) | null = null): VerifiedTokenCache | null {
  if (maxEntries === 0 || maxAgeMs === 0) return null;
  const kept = new Map<string, Kept>();
  const found = (key: string, nowMs: number): VerifiedToken | null => {
    const entry = kept.get(key);
    if (entry === undefined) return null;
    if (nowMs < entry.untilMs) return entry.verified;
    kept.delete(key);
    return null;
  };
  return {
    get(token, nowMs) {
      const verified = found(digestOf(token), nowMs);
      onRead?.(verified !== null);
      return verified;
    },
    set(token, verified, nowMs) {
      const untilMs = Math.min(nowMs + maxAgeMs, verified.expiresAt === null ? Infinity : verified.expiresAt * 1000);
      if (untilMs <= nowMs) return;
      // Insertion order is age: the key moves to the end, the oldest goes first.
      const key = digestOf(token);
      kept.delete(key);
      kept.set(key, { verified: frozen(verified), untilMs });
      if (kept.size > maxEntries) kept.delete(kept.keys().next().value as string);
    },
  };
}

function digestOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/** The same caller is handed to every request presenting the token: none may change it for the next. */
function frozen(verified: VerifiedToken): VerifiedToken {
  const { caller } = verified;
  Object.freeze(caller.can);
  Object.freeze(caller.token);
  Object.freeze(caller);
  return Object.freeze(verified);
}
