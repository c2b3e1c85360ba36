import { InheritanceTooDeepError, ValidationError } from '../errors.js';
import { hasOwnSettings } from '../schemas.js';
import type { CurrentSettings, SettingsRepository } from './settings-repository.js';
import { inheritedSnapshot, type SettingsSnapshot } from './settings-snapshot.js';

/** Most links followed from a scope to the one whose key it uses. */
export const MAX_INHERITANCE_DEPTH = 4;

/** A scope's settings once inheritance is applied. */
export interface EffectiveSettings {
  /** The scope's own stored value (settings or a link alone), as the repository has it. */
  readonly own: CurrentSettings;
  /** Whose settings the scope uses: its own, the first ancestor's with settings, or null for none. */
  readonly source: CurrentSettings | null;
  /** What the scope's clients see. */
  readonly snapshot: SettingsSnapshot;
}

/**
 * The scope's settings: its own when it has them (an own value that cannot be decrypted
 * is an error, never a reason to use a parent's), otherwise those of the first scope up
 * its `inherit_from` chain that has settings, following at most {@link MAX_INHERITANCE_DEPTH}
 * links. Each level is read through the repository's view cache, so a parent's write
 * reaches its children as soon as the parent's own view is dropped.
 * @throws InheritanceTooDeepError when the chain goes on past that many links without
 *   settings: {@link checkInheritance} looks up the chain only, so links written child first
 *   can add up to one, and what its far end holds must not read as no settings. A chain that
 *   comes back to a scope on it (a cycle, briefly, see checkInheritance) reads as none.
 */
export async function effectiveSettings(repository: SettingsRepository, scope: string): Promise<EffectiveSettings> {
  const own = await repository.current(scope);
  if (own.snapshot.view.api_key_source === 'own') return { own, source: own, snapshot: own.snapshot };
  let link = own.snapshot.view.inherit_from;
  // A cycle is there only while racing links from two processes are checked, one then put back.
  const seen = new Set([scope]);
  for (let depth = 1; link !== null && !seen.has(link); depth++) {
    if (depth > MAX_INHERITANCE_DEPTH) throw new InheritanceTooDeepError(scope, MAX_INHERITANCE_DEPTH);
    seen.add(link);
    const ancestor = await repository.current(link);
    if (ancestor.snapshot.view.api_key_source === 'own') return { own, source: ancestor, snapshot: inheritedSnapshot(own.snapshot, ancestor.snapshot) };
    link = ancestor.snapshot.view.inherit_from;
  }
  return { own, source: null, snapshot: own.snapshot };
}

/**
 * Refuses a link from `scope` to `parent` that would close a cycle or make a chain of more
 * than {@link MAX_INHERITANCE_DEPTH} links above `scope`, read from the store as it is now.
 * The scopes linked to `scope` are not counted (only a scan of every stored value finds
 * them): a chain they make too long is refused where it is read, by {@link effectiveSettings}.
 * @throws ValidationError (path `inherit_from`).
 */
export async function checkInheritance(repository: SettingsRepository, scope: string, parent: string): Promise<void> {
  let link: string | null = parent;
  for (let depth = 1; link !== null; depth++) {
    if (link === scope) throw invalidLink(`inherit_from ${parent} would make a cycle: ${scope} is on its chain`);
    if (depth > MAX_INHERITANCE_DEPTH) throw invalidLink(`inherit_from ${parent} would make a chain of more than ${MAX_INHERITANCE_DEPTH} links`);
    const sealed = await repository.latest(link);
    const value = sealed === null ? null : await repository.open(sealed);
    link = value === null ? null : hasOwnSettings(value) ? (value.inherit_from ?? null) : value.inherit_from;
  }
}

function invalidLink(message: string): ValidationError {
  return new ValidationError(`Invalid settings: ${message}`, [{ path: 'inherit_from', message }]);
}
