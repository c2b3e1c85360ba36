import {
  EndpointChangedError,
  ErrorCodes,
  ProviderDisabledError,
  NotConfiguredError,
  PreconditionFailedError,
  ValidationError,
  isLlmSettingsError,
} from '../errors.js';
import { ABSENT_ETAG } from '../etag.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import type { ModelLister } from '../ports/model-lister.port.js';
import type { ProviderProbe } from '../ports/provider-probe.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingsStore } from '../ports/settings-store.port.js';
import { DEFAULT_PROVIDER_REGISTRY, providerListOf, type LlmProvider, type ProviderRegistry } from '../providers.js';
import type { HistoryEntry, HistoryRecord } from '../ports/settings-store.port.js';
import {
  HistoryQuerySchema,
  hasOwnSettings,
  inputSchemasOf,
  type InputSchemas,
  type LlmHistoryEntry,
  type LlmHistoryPage,
  type LlmModelList,
  type LlmProviderList,
  type LlmSettingsUpdate,
  type LlmTestResult,
  type StoredSettings,
  type StoredValue,
} from '../schemas.js';
import { normalizeScope } from '../scopes.js';
import { checkOptions, parseOrThrow } from '../validation.js';
import { Secret } from '../secret.js';
import type { SettingsSnapshot } from './settings-snapshot.js';
import type { SettingsViewCacheOptions } from './settings-view-cache.js';
import type { ModelListCacheOptions } from './model-list-cache.js';
import { checkInheritance, effectiveSettings } from './inheritance.js';
import { ModelLists } from './model-lists.js';
import { isUnreadable, SettingsRepository, type SealedSettings } from './settings-repository.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** Read-modify-write attempts of an update or a clear racing other writers, before a conflict is reported. */
const MAX_WRITE_ATTEMPTS = 10;
/** The actor of in-process calls that name none. */
const EMBEDDED_ACTOR = 'embedded';
/** The fields a history entry may name, in this order. */
const TRACKED_FIELDS = ['provider', 'model', 'api_key', 'inherit_from'] as const;

export interface LlmSettingsServiceDeps {
  store: SettingsStore;
  cipher: SecretCipher;
  probe: ProviderProbe;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * The providers this service knows and accepts (the operator's configuration).
   * @default DEFAULT_PROVIDER_REGISTRY (Anthropic and OpenAI at their public roots)
   */
  providers?: ProviderRegistry;
  /** @default 10000 */
  probeTimeoutMs?: number;
  /**
   * Serve `get` and `resolve` from an in-process cache of each scope's stored token and
   * masked view, which the store's change feed invalidates. Worth it when reads dominate;
   * `true` uses the cache's defaults.
   * @default false
   */
  viewCache?: boolean | SettingsViewCacheOptions;
  /**
   * Lists the models of a stored or candidate key live. Without it every model list is
   * the built-in catalogue, with reason `listing_disabled`.
   * @default undefined
   */
  modelLister?: ModelLister;
  /**
   * Keep each scope's live model list (tied to the stored token, never to the key), which
   * the store's change feed drops; `false` asks the provider every time.
   * @default true (the cache's defaults: 5 minutes)
   */
  modelListCache?: boolean | ModelListCacheOptions;
}

/** Which settings: a scope (tenant, user, workspace), the default scope when omitted. */
export interface ScopeOptions {
  scope?: string;
}

/**
 * A precondition on the stored version, as HTTP's If-Match: `*` (settings must be
 * stored), or entity tags of which one must be the current one.
 */
export type IfMatch = '*' | string | readonly string[];

/**
 * A precondition as HTTP's If-None-Match: `*` (nothing may be stored), or entity tags of
 * which none may be the current one (the current tag is {@link ABSENT_ETAG} when nothing is stored).
 */
export type IfNoneMatch = '*' | string | readonly string[];

/** The preconditions of a write; both must hold when both are given. */
export interface Preconditions {
  ifMatch?: IfMatch;
  ifNoneMatch?: IfNoneMatch;
}

/** Who makes a change, for its history entry. */
export interface ActorOptions {
  /** `admin`, `token:<jti>`, `jwt:<sub>` (core's `actorOf`), `cli`… @default 'embedded' */
  actor?: string;
}

export interface UpdateOptions extends ScopeOptions, ActorOptions, Preconditions {}

export interface ClearOptions extends ScopeOptions, ActorOptions, Preconditions {
  /**
   * Clears the scope's own provider, model and key and keeps its `inherit_from` link: how a
   * caller who may not change links (a scoped token) clears its settings.
   * @default false
   */
  keepLink?: boolean;
}

export interface HistoryOptions extends ScopeOptions {
  /** 1 to 200 entries a page. @default 50 */
  limit?: unknown;
  /** The `next` cursor of the previous page; the newest entries when omitted. */
  before?: unknown;
}

export interface ListModelsOptions extends ScopeOptions {
  /** An enabled provider id; the stored provider (the default one when nothing is stored) when omitted. */
  provider?: unknown;
  /** Aborts the provider call; the list is then the catalogue, with reason `timeout`. */
  signal?: AbortSignal;
}

export interface ListCandidateModelsOptions extends ScopeOptions {
  /** Aborts the provider call; the list is then the catalogue, with reason `timeout`. */
  signal?: AbortSignal;
}

export interface TestOptions extends ScopeOptions {
  /** Settings to test instead of the stored ones: `{ provider, api_key, model? }`. Nothing is stored. */
  candidate?: unknown;
  /** Aborts the provider call; the result is then `timeout`. */
  signal?: AbortSignal;
}

/** What the code that calls the LLM needs. */
export interface ResolvedSettings {
  provider: LlmProvider;
  model: string;
  /** Prints as its mask; `apiKey.reveal()` gives the key. */
  apiKey: Secret;
  /** The stored version these settings are. */
  version: number;
}

/** The use cases: read, save, clear, test and resolve the LLM settings of a scope. */
export class LlmSettingsService {
  private readonly repository: SettingsRepository;
  private readonly probe: ProviderProbe;
  private readonly logger: Logger;
  private readonly probeTimeoutMs: number;
  private linkWrites: Promise<void> = Promise.resolve();
  private readonly modelLists: ModelLists;
  /** The providers known and enabled, for the HTTP adapter's routes and lists. */
  readonly providers: ProviderRegistry;
  /**
   * A private field, which util.inspect never shows: inspecting a schema with `getters` runs
   * zod's lazy accessors on prototypes every schema of the process shares, and breaks them all.
   */
  readonly #schemas: InputSchemas;

  constructor(deps: LlmSettingsServiceDeps) {
    this.providers = deps.providers ?? DEFAULT_PROVIDER_REGISTRY;
    this.#schemas = inputSchemasOf(this.providers);
    this.repository = new SettingsRepository({ store: deps.store, cipher: deps.cipher, providers: this.providers, viewCache: deps.viewCache ?? false });
    this.probe = deps.probe;
    this.logger = deps.logger ?? silentLogger;
    this.probeTimeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.modelLists = new ModelLists({
      lister: deps.modelLister ?? null,
      timeoutMs: this.probeTimeoutMs,
      cache: deps.modelListCache ?? true,
      changes: this.repository,
    });
  }

  /** The scope's settings as clients may see them; the defaults when nothing is stored. */
  async get(options: ScopeOptions = {}): Promise<SettingsSnapshot> {
    checkOptions(options);
    return (await effectiveSettings(this.repository, normalizeScope(options.scope))).snapshot;
  }

  /**
   * The scope's settings for the code that calls the LLM, the key included as a
   * {@link Secret}. Served from the cached stored token when views are cached (the key
   * is decrypted on every call, never kept in plaintext).
   * A scope without settings of its own uses those of the first scope up its `inherit_from`
   * chain that has them.
   * @throws NotConfiguredError when nothing is stored or inherited; DecryptionError when the stored
   *   settings cannot be decrypted with the configured keys; ProviderDisabledError when
   *   they are for a provider the registry does not enable; EndpointChangedError when
   *   the provider's API root moved to another origin since the key was saved.
   */
  async resolve(options: ScopeOptions = {}): Promise<ResolvedSettings> {
    checkOptions(options);
    const { source } = await effectiveSettings(this.repository, normalizeScope(options.scope));
    const sealed = source?.sealed ?? null;
    if (sealed === null) throw new NotConfiguredError();
    const settings = await this.repository.open(sealed);
    // Rewritten as a link alone since it was read.
    if (!hasOwnSettings(settings)) throw new NotConfiguredError();
    await this.checkUsable(sealed, settings);
    return { provider: settings.provider, model: settings.model, apiKey: new Secret(settings.api_key), version: sealed.version };
  }

  /**
   * Saves settings. Without api_key the stored key is kept, which needs the provider
   * to be unchanged; without model the provider's default model is used; without
   * inherit_from the stored link is kept (null removes it). A body of `inherit_from` alone
   * changes the link only (action `inherit`). The change and its history entry (by
   * `actor`, naming the fields changed from the value read) are one write. A full
   * replacement without a precondition reads what it replaces in a read shared with the scope's
   * concurrent writers, begun after it came (never a cached view, which may trail another
   * process's write), and is unconditional (the last writer wins, as racing replacements
   * always did) unless it keeps a stored link: a link removed meanwhile must not come back.
   * Any other update, and such a one, is a compare-and-set over the version read from the
   * store, retried on a conflict.
   * @throws PreconditionFailedError when `ifMatch` or `ifNoneMatch` does not hold; ValidationError when
   *   the link would close a cycle or make a chain of more than 4 links, or did once
   *   written (another process linked meanwhile; it is put back as it was).
   */
  async update(input: unknown, options: UpdateOptions = {}): Promise<SettingsSnapshot> {
    checkOptions(options);
    const update = parseOrThrow(this.#schemas.update, input, 'settings');
    if (update.provider !== undefined && update.model !== undefined) refuseOtherProvidersModel(this.providers, update.provider, update.model);
    const scope = normalizeScope(options.scope);
    const link = update.inherit_from;
    if (!link) return this.answerOf(scope, await this.save(scope, update, options));
    // Checked and written one at a time: two racing links could each pass the check of a
    // chain the other is about to close (A to B, B to A).
    return this.oneLinkAtATime(async () => {
      await checkInheritance(this.repository, scope, link);
      const saved = await this.save(scope, update, options);
      await this.undoIfRaced(scope, link, saved);
      return this.answerOf(scope, saved);
    });
  }

  /**
   * What an update answers: the settings written, or, for a scope left without settings of
   * its own, its view through its chain, read once a link is known to stand (a racing link
   * up the chain can make it too long until it is put back).
   */
  private async answerOf(scope: string, saved: Saved): Promise<SettingsSnapshot> {
    return saved.written ?? this.get({ scope });
  }

  /**
   * Another process may have linked up the chain between this link's check and its write
   * (A to B here, B to A there): checked again once written, from the store, and put back
   * as it was if it now closes a cycle or makes too long a chain. Of two such links at
   * least one check sees the other's write, so no cycle stays; both may be refused.
   * @throws ValidationError (path `inherit_from`) when the link was put back.
   */
  private async undoIfRaced(scope: string, link: string, saved: Saved): Promise<void> {
    try {
      await checkInheritance(this.repository, scope, link);
    } catch (error) {
      if (!isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT)) throw error;
      try {
        await this.repository.restore(scope, saved.replaced, saved.version, saved.history);
        this.logger.warn({ scope, version: saved.version }, 'llm settings link put back: another process closed its chain meanwhile');
      } catch (restoreError) {
        // Written again meanwhile: the newer value stands, as it would have after this one.
        if (!isLlmSettingsError(restoreError, ErrorCodes.SETTINGS_CONFLICT)) throw restoreError;
      }
      throw error;
    }
  }

  /** Link writes of this process, each run once the one before it has ended. */
  private oneLinkAtATime<T>(write: () => Promise<T>): Promise<T> {
    const run = this.linkWrites.then(write);
    this.linkWrites = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Writes a parsed update: a compare-and-set, or an unconditional replacement (see {@link update}). */
  private async save(scope: string, update: LlmSettingsUpdate, options: UpdateOptions): Promise<Saved> {
    const action = update.provider === undefined ? 'inherit' : 'update';
    // A full replacement does not need what is stored, which may then be unreadable (the way out of a lost key).
    const replaces = update.provider !== undefined && (update.api_key !== undefined || !this.providers.get(update.provider).keyRequired);
    // A link is written over the version read, so that a link put back on a race (undoIfRaced) replaces exactly what it overwrote.
    const needsVersionCheck = isConditional(options) || !replaces || typeof update.inherit_from === 'string';

    for (let attempt = 1; ; attempt++) {
      // An unconditional replacement, where the last writer wins anyway, starts from a read it
      // shares with the scope's concurrent writers, begun after it came (the link it keeps, its history's fields).
      const current = needsVersionCheck ? await this.repository.latest(scope) : await this.repository.fresh(scope);
      if (!preconditionsHold(current, options)) throw new PreconditionFailedError();
      const previous = await this.previousValue(current, replaces);
      const next = update.provider === undefined ? relinked(scope, previous, update.inherit_from ?? null) : this.settingsOf(scope, update as ProviderUpdate, previous);
      // Settings replaced unread (a lost key) may have held anything, a link too.
      const history = current !== null && previous === null ? unknownChange(scope, action, options.actor) : historyEntry(scope, action, options.actor, previous, next, update.api_key !== undefined);
      try {
        if (next === null) {
          if (current !== null) await this.repository.delete(scope, current.version, history);
          return { written: null, replaced: current, version: 0, history };
        }
        // A replacement that keeps the stored link writes over the version it read it from: a link removed meanwhile is not put back.
        const keepsLink = update.inherit_from === undefined && (previous?.inherit_from ?? null) !== null;
        const written = await this.repository.write(next, needsVersionCheck || keepsLink ? (current?.version ?? 0) : undefined, history);
        this.logger.info({ scope, action, provider: written.view.provider, model: written.view.model, fields: history.fields, version: written.version }, 'llm settings saved');
        return { written: hasOwnSettings(next) ? written : null, replaced: current, version: written.version, history };
      } catch (error) {
        if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
        if (isConditional(options)) throw new PreconditionFailedError();
        if (attempt >= MAX_WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * A page of the scope's history, newest first: what changed, when and by whom, never a
   * key or a mask. `next` is the cursor of the following page, null after the last.
   * @throws ValidationError for a limit outside 1 to 200 or a cursor that is not one.
   */
  async history(options: HistoryOptions = {}): Promise<LlmHistoryPage> {
    checkOptions(options);
    const scope = normalizeScope(options.scope);
    const query = parseOrThrow(HistoryQuerySchema, definedOnly({ limit: options.limit, before: options.before }), 'history request');
    const records = await this.repository.history({ scope, limit: query.limit + 1, before: query.before === null ? null : Number(query.before) });
    const page = records.slice(0, query.limit);
    return { entries: page.map(historyView), next: records.length > query.limit ? String(page[page.length - 1]!.id) : null };
  }

  /** The stored value the update starts from; null when unreadable and the update replaces it whole. */
  private async previousValue(current: SealedSettings | null, replaces: boolean): Promise<StoredValue | null> {
    if (current === null) return null;
    try {
      return await this.repository.open(current);
    } catch (error) {
      if (replaces && isUnreadable(error)) return null;
      throw error;
    }
  }

  /** The settings an update with a provider stores, from what it says and what is kept. */
  private settingsOf(scope: string, update: ProviderUpdate, previous: StoredValue | null): StoredSettings {
    const descriptor = this.providers.get(update.provider);
    const model = update.model ?? descriptor.defaultModel;
    // A keyless provider needs no key: without one, its settings hold none.
    const keyless = !descriptor.keyRequired && update.api_key === undefined;
    const kept = update.api_key === undefined && !keyless ? keptSettings(previous, update.provider) : null;
    // A kept key stays bound to the origin it was saved for: only saving the key binds it anew.
    const origin = kept?.origin ?? this.providers.origin(update.provider);
    const link = update.inherit_from === undefined ? (previous?.inherit_from ?? null) : update.inherit_from;
    return {
      provider: update.provider,
      model,
      api_key: update.api_key ?? kept?.api_key ?? '',
      scope,
      origin,
      ...(link === null ? {} : { inherit_from: link }),
    };
  }

  /** The enabled providers, in the registry's order: what a settings page offers. */
  listProviders(): LlmProviderList {
    return providerListOf(this.providers);
  }

  /** Stops following the store's change feed (when caching views or model lists). */
  close(): void {
    this.repository.close();
    this.modelLists.close();
  }

  /**
   * The models to choose from for a provider of the scope: the stored key's own list when
   * a key for that provider is stored (or the provider takes none) and the provider lists
   * them, otherwise the built-in catalogue with the reason. A key stored for one provider is
   * never sent to the other.
   * @throws ValidationError for an unknown provider; DecryptionError or
   *   CorruptedSettingsError when the stored settings cannot be opened.
   */
  async listModels(options: ListModelsOptions = {}): Promise<LlmModelList> {
    checkOptions(options);
    const scope = normalizeScope(options.scope);
    const query = parseOrThrow(this.#schemas.modelListQuery, { provider: options.provider }, 'model list request');
    const { source, snapshot } = await effectiveSettings(this.repository, scope);
    const sealed = source?.sealed ?? null;
    const storedProvider = snapshot.view.provider;
    // Settings of a disabled provider list the default provider's catalogue when no provider is asked for.
    const provider = this.providers.get(query.provider ?? (this.providers.isEnabled(storedProvider) ? storedProvider : this.providers.defaultProvider));
    const opened = sealed === null ? null : await this.repository.open(sealed);
    const stored = opened !== null && hasOwnSettings(opened) ? opened : null;
    const storedKey = sealed !== null && stored !== null && stored.provider === provider.id ? { sealed, apiKey: stored.api_key } : null;
    if (storedKey !== null) await this.checkUsable(storedKey.sealed, stored!);
    const list = await this.modelLists.ofStored(provider, storedKey, options.signal, scope);
    this.logger.info({ scope, provider: provider.id, source: list.source, reason: list.reason ?? null, candidate: false }, 'llm models listed');
    return list;
  }

  /**
   * The models a key not yet saved can use: `{ provider, api_key }`. Nothing is stored
   * or cached; a refused key gives the catalogue with the refusal's code as reason. `scope`
   * is the caller's: an identical listing in flight is shared with its own requests only.
   */
  async listCandidateModels(candidate: unknown, options: ListCandidateModelsOptions = {}): Promise<LlmModelList> {
    checkOptions(options);
    const parsed = parseOrThrow(this.#schemas.modelListCandidate, candidate, 'model list request');
    const list = await this.modelLists.ofKey(this.providers.get(parsed.provider), parsed.api_key ?? '', options.signal, normalizeScope(options.scope));
    this.logger.info({ provider: parsed.provider, source: list.source, reason: list.reason ?? null, candidate: true }, 'llm models listed');
    return list;
  }

  /**
   * Removes the scope's settings (its link too, unless `keepLink`), with a `delete` history
   * entry by `actor` in the same write. Clearing what is not there is not an error, and still
   * goes through the store: its change event drops a cached view that a concurrent delete,
   * whose own event is still on its way, made stale.
   * @throws PreconditionFailedError when `ifMatch` or `ifNoneMatch` does not hold.
   */
  async clear(options: ClearOptions = {}): Promise<void> {
    checkOptions(options);
    const scope = normalizeScope(options.scope);
    if (options.keepLink === true) return this.clearOwnSettings(scope, options);
    const current = await this.repository.latest(scope);
    if (!preconditionsHold(current, options)) throw new PreconditionFailedError();
    // Settings that cannot be opened, or that a racing write stored after the read, can
    // still be removed: all their fields go. The entry is written only with a removal.
    const previous = current === null ? null : await this.previousValue(current, true);
    const history = previous === null ? unknownChange(scope, 'delete', options.actor) : historyEntry(scope, 'delete', options.actor, previous, null);
    try {
      // Without a precondition the delete is unconditional; the store records the entry only if it removed something.
      await this.repository.delete(scope, isConditional(options) ? (current?.version ?? 0) : undefined, history);
    } catch (error) {
      if (isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw new PreconditionFailedError();
      throw error;
    }
    this.logger.info({ scope }, 'llm settings cleared');
  }

  /**
   * Clears the scope's own settings and keeps its link, over the version read: a link the
   * operator sets meanwhile is never removed. Settings that cannot be opened (a lost key)
   * hide their link, and go whole, as the history entry says: the way out for their user.
   */
  private async clearOwnSettings(scope: string, options: ClearOptions): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.repository.latest(scope);
      if (!preconditionsHold(current, options)) throw new PreconditionFailedError();
      const previous = await this.previousValue(current, true);
      const next = relinked(scope, null, previous?.inherit_from ?? null);
      const history = current !== null && previous === null ? unknownChange(scope, 'delete', options.actor) : historyEntry(scope, 'delete', options.actor, previous, next);
      try {
        if (next === null) await this.repository.delete(scope, current?.version ?? 0, history);
        else if (previous !== null && hasOwnSettings(previous)) await this.repository.write(next, current!.version, history);
        this.logger.info({ scope, kept_link: next !== null }, 'llm settings cleared');
        return;
      } catch (error) {
        if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
        if (isConditional(options)) throw new PreconditionFailedError();
        if (attempt >= MAX_WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Tests settings with one call to the provider: the candidate when given, otherwise
   * the stored settings. Never stores anything.
   * @throws NotConfiguredError when testing stored settings and none are stored.
   */
  async test(options: TestOptions = {}): Promise<LlmTestResult> {
    checkOptions(options);
    const scope = normalizeScope(options.scope);
    const stored = options.candidate === undefined;
    const target: ProbeTarget = stored ? await this.resolveTarget(scope) : this.candidateTarget(options.candidate);
    const outcome = await this.probe.probe({
      provider: target.provider,
      apiKey: target.api_key,
      model: target.model,
      timeoutMs: this.probeTimeoutMs,
      partition: scope,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const latency = outcome.latencyMs === null ? null : Math.max(0, Math.round(outcome.latencyMs));
    this.logger.info({ scope, provider: target.provider, model: target.model, code: outcome.code, latency_ms: latency, stored }, 'llm settings tested');
    return { success: outcome.code === 'ok', message: outcome.message, latency_ms: latency, code: outcome.code };
  }

  private async resolveTarget(scope: string): Promise<ProbeTarget> {
    const { provider, model, apiKey } = await this.resolve({ scope });
    return { provider, model, api_key: apiKey.reveal() };
  }

  private candidateTarget(candidate: unknown): ProbeTarget {
    const parsed = parseOrThrow(this.#schemas.testCandidate, candidate, 'test request');
    return {
      provider: parsed.provider,
      // A provider that takes no key is tested without one, as its stored settings are.
      api_key: parsed.api_key ?? '',
      model: parsed.model ?? this.providers.get(parsed.provider).defaultModel,
    };
  }

  /**
   * Refuses settings that may not be used as stored: for a disabled provider, or bound to
   * another origin than the provider's API root now. A value saved before keys were bound
   * is bound on this first read, to the origin configured now.
   */
  private async checkUsable(sealed: SealedSettings, settings: StoredSettings): Promise<void> {
    if (!this.providers.isEnabled(settings.provider)) throw new ProviderDisabledError(settings.provider);
    const origin = this.providers.origin(settings.provider);
    if (settings.origin === undefined) return this.bind(sealed, settings, origin);
    // A keyless provider's settings hold no key to protect.
    if (settings.origin !== origin && settings.api_key !== '') throw new EndpointChangedError(settings.provider, settings.origin, origin);
  }

  private async bind(sealed: SealedSettings, settings: StoredSettings, origin: string): Promise<void> {
    try {
      await this.repository.write({ ...settings, origin }, sealed.version);
      this.logger.info({ scope: settings.scope, provider: settings.provider, origin }, 'llm settings bound to their endpoint');
    } catch (error) {
      // Written meanwhile: the newer value carries its own origin.
      if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
    }
  }
}

/**
 * A model the catalogue lists for another enabled provider, and not for this one, is a
 * mistake, not a gateway's name: refused with a hint naming the provider it belongs to.
 * The message quotes the catalogue's id, never the input.
 */
function refuseOtherProvidersModel(providers: ProviderRegistry, provider: LlmProvider, model: string): void {
  const owner = providers.otherOwnerOf(provider, model);
  if (owner === null) return;
  const message = `model ${model} is one of ${providers.get(owner).displayName}'s models; set provider to ${owner}, or choose one of ${providers.get(provider).displayName}'s models`;
  throw new ValidationError(`Invalid settings: ${message}`, [{ path: 'model', message }], ErrorCodes.SETTINGS_MODEL_PROVIDER_MISMATCH);
}

/** What a probe needs: the stored settings without their scope. */
type ProbeTarget = Pick<StoredSettings, 'provider' | 'api_key' | 'model'>;

function isConditional(options: Preconditions): boolean {
  return options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
}

/**
 * If-Match and If-None-Match as RFC 9110 evaluates them: If-Match's `*` needs stored
 * settings and its list a tag equal to the current one; If-None-Match's `*` needs none
 * stored and its list no tag equal to the current one.
 */
function preconditionsHold(current: SealedSettings | null, { ifMatch, ifNoneMatch }: Preconditions): boolean {
  const tag = current?.etag ?? ABSENT_ETAG;
  if (ifMatch !== undefined && !(ifMatch === '*' ? current !== null : tagsOf(ifMatch, 'ifMatch').includes(tag))) return false;
  if (ifNoneMatch !== undefined && (ifNoneMatch === '*' ? current !== null : tagsOf(ifNoneMatch, 'ifNoneMatch').includes(tag))) return false;
  return true;
}

/** The tags a precondition lists; checked for callers without types: a version number is an easy mistake for an ETag. */
function tagsOf(tags: string | readonly string[], name: string): readonly string[] {
  if (typeof tags === 'string') return [tags];
  if (!Array.isArray(tags) || !tags.every((each) => typeof each === 'string')) {
    const message = `${name} must be '*', an ETag or a list of ETags (strings)`;
    throw new ValidationError(`Invalid request: ${message}`, [{ path: name, message }]);
  }
  return tags;
}

/**
 * What a save wrote over, to put it back: the sealed value it replaced, the version it wrote
 * (0 for a delete) and its history entry; and the settings it wrote, null for a link alone or
 * nothing (see answerOf).
 */
interface Saved {
  readonly written: SettingsSnapshot | null;
  readonly replaced: SealedSettings | null;
  readonly version: number;
  readonly history: HistoryEntry;
}

/** An update that names its provider. */
type ProviderUpdate = LlmSettingsUpdate & { provider: LlmProvider };

/** The stored settings whose key an update without api_key keeps. */
function keptSettings(previous: StoredValue | null, provider: string): StoredSettings {
  if (previous === null || !hasOwnSettings(previous)) {
    throw new ValidationError(
      'Invalid settings: api_key is required because no key is stored yet',
      [{ path: 'api_key', message: 'api_key is required because no key is stored yet' }],
      ErrorCodes.VALIDATION_API_KEY_REQUIRED,
    );
  }
  if (previous.provider !== provider) {
    throw new ValidationError(
      'Invalid settings: api_key is required when the provider changes',
      [{ path: 'api_key', message: 'api_key is required when the provider changes' }],
      ErrorCodes.VALIDATION_API_KEY_REQUIRED,
    );
  }
  return previous;
}

/** The value after a change of the link alone: own settings keep theirs; a link alone may go (null). */
function relinked(scope: string, previous: StoredValue | null, link: string | null): StoredValue | null {
  if (previous !== null && hasOwnSettings(previous)) {
    const { inherit_from: _old, ...settings } = previous;
    return link === null ? settings : { ...settings, inherit_from: link };
  }
  return link === null ? null : { scope, inherit_from: link };
}

/** The tracked fields of a value: the key only to compare, in memory. */
function fieldsOf(value: StoredValue | null): Record<(typeof TRACKED_FIELDS)[number], string | undefined> {
  if (value === null) return { provider: undefined, model: undefined, api_key: undefined, inherit_from: undefined };
  if (!hasOwnSettings(value)) return { provider: undefined, model: undefined, api_key: undefined, inherit_from: value.inherit_from };
  return { provider: value.provider, model: value.model, api_key: value.api_key, inherit_from: value.inherit_from };
}

/**
 * The history entry of a change from `previous` to `next`: the names of the fields that
 * differ, never a value. A key the change wrote (`keyWritten`) counts as changed even when
 * it equals the stored one: comparing them would tell a caller whether a guess is the key.
 */
function historyEntry(scope: string, action: string, actor: string | undefined, previous: StoredValue | null, next: StoredValue | null, keyWritten = false): HistoryEntry {
  const before = fieldsOf(previous);
  const after = fieldsOf(next);
  const fields = TRACKED_FIELDS.filter((field) => before[field] !== after[field] || (field === 'api_key' && keyWritten));
  return { scope, action, actor: actor ?? EMBEDDED_ACTOR, fields, apiKeyChanged: fields.includes('api_key') };
}

/** A removal or replacement of settings not opened (unreadable, or written after the read): any field may have changed. */
function unknownChange(scope: string, action: string, actor: string | undefined): HistoryEntry {
  return { scope, action, actor: actor ?? EMBEDDED_ACTOR, fields: [...TRACKED_FIELDS], apiKeyChanged: true };
}

function historyView(record: HistoryRecord): LlmHistoryEntry {
  return { at: record.at.toISOString(), scope: record.scope, action: record.action, actor: record.actor, fields: [...record.fields], api_key_changed: record.apiKeyChanged };
}

/** The entries of `object` whose value is not undefined. */
function definedOnly(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
