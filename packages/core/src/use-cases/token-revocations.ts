import { setNewest } from '../bounded-map.js';
import { CorruptedSettingsError } from '../errors.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingsStore } from '../ports/settings-store.port.js';
import type { RevokedBefore } from '../ports/token-verifier.port.js';
import { normalizeScope } from '../scopes.js';
import { checkOptions } from '../validation.js';

/** Store keys of revocations: beside the settings' `llm_config…` keys, never read as a scope's settings. */
const REVOCATION_KEY_PREFIX = 'llm_tokens_revoked:';

/** The store key holding when the tokens of `scope` were last revoked. */
export function revocationKeyFor(scope: string): string {
  return `${REVOCATION_KEY_PREFIX}${scope}`;
}

export interface TokenRevocationsOptions {
  /**
   * Most scopes whose revocation time is kept in memory; the least recently loaded is dropped first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Longest, in milliseconds, a scope's time read from the store answers before it is read
   * again. The change feed drops it at once; this bounds how late a revocation made
   * elsewhere is seen when the feed misses it (a connection that went silent).
   * @default 1000
   */
  ttlMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

/** A scope's time being read or read. */
interface KnownTime {
  readonly time: Promise<Date | null>;
  /** When the read began, in `now` milliseconds: the store may have answered from then on. */
  readonly readAt: number;
  settled: boolean;
}

/**
 * When each scope's tokens were last revoked, kept with the settings in the store (under
 * a key of its own per scope, encrypted like every stored value, so that key rotation and
 * the start-up key check treat it alike) and so seen by every process through the store's
 * change feed. Answers {@link revokedBefore} from memory: a scope's time is read once,
 * then dropped by the change feed (a write anywhere to that key, or an interrupted feed), or
 * read again once `ttlMs` old.
 */
export class TokenRevocations {
  readonly #store: SettingsStore;
  readonly #cipher: SecretCipher;
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  /** Scope → its time being read or read; put in before the read starts, so a change during it drops it. */
  readonly #times = new Map<string, KnownTime>();
  readonly #unwatch: () => void;

  constructor(store: SettingsStore, cipher: SecretCipher, options: TokenRevocationsOptions = {}) {
    this.#store = store;
    this.#cipher = cipher;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 1_000;
    this.#now = options.now ?? (() => new Date());
    this.#unwatch = store.watch(({ key }) => {
      if (key === null) this.#times.clear();
      else if (key.startsWith(REVOCATION_KEY_PREFIX)) this.#times.delete(key.slice(REVOCATION_KEY_PREFIX.length));
    });
  }

  /** For the token verifier: when the tokens of `scope` were last revoked, null when never. Rejects when the store cannot say. */
  readonly revokedBefore: RevokedBefore = (scope) => {
    const known = this.#times.get(scope);
    if (known !== undefined && this.#isFresh(known)) return known.time;
    const loading: KnownTime = { time: this.#load(scope), readAt: this.#now().getTime(), settled: false };
    setNewest(this.#times, scope, loading, this.#maxEntries);
    loading.time.then(
      () => (loading.settled = true),
      // A failed read is not kept: the next call asks the store again.
      () => {
        if (this.#times.get(scope) === loading) this.#times.delete(scope);
      },
    );
    return loading.time;
  };

  /**
   * Refuses from now on every token of `scope` issued before now (a token's issue time is
   * in whole seconds, so one issued in the same second is refused too), in every process
   * sharing the store once its change feed tells it.
   * Recorded in the scope's history as `revoke-tokens` by `actor` (default `embedded`).
   * @returns the time recorded.
   * @throws ValidationError for an invalid scope.
   */
  async revoke(scope: string, options: { actor?: string } = {}): Promise<Date> {
    checkOptions(options);
    const valid = normalizeScope(scope);
    const actor = options.actor ?? 'embedded';
    const at = this.#now();
    const value = await this.#cipher.encrypt(JSON.stringify({ scope: valid, revokedBefore: at.toISOString() }));
    await this.#store.set(revocationKeyFor(valid), value, { history: { scope: valid, action: 'revoke-tokens', actor, fields: [], apiKeyChanged: false } });
    return at;
  }

  /** Stops following the change feed and forgets every time. */
  close(): void {
    this.#unwatch();
    this.#times.clear();
  }

  /** Still in flight (shared by concurrent callers), or read less than `ttlMs` ago (a clock set back counts as old). */
  #isFresh({ readAt, settled }: KnownTime): boolean {
    if (!settled) return true;
    const age = this.#now().getTime() - readAt;
    return age >= 0 && age < this.#ttlMs;
  }

  async #load(scope: string): Promise<Date | null> {
    const key = revocationKeyFor(scope);
    const record = await this.#store.get(key);
    if (record === null) return null;
    const time = timeOf(await this.#cipher.decrypt(record.value), scope);
    if (time === null) throw new CorruptedSettingsError(`The value stored under "${key}" is not a revocation time.`);
    return time;
  }
}

/** The time in a revocation record, when it is one and names `scope`: a record copied under another scope's key is corrupt. */
function timeOf(plaintext: string, scope: string): Date | null {
  try {
    const parsed: unknown = JSON.parse(plaintext);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { scope: named, revokedBefore } = parsed as { scope?: unknown; revokedBefore?: unknown };
    if (named !== scope || typeof revokedBefore !== 'string') return null;
    const time = new Date(revokedBefore);
    return Number.isNaN(time.getTime()) ? null : time;
  } catch {
    return null;
  }
}
