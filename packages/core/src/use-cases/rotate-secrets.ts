import { ConflictError, DecryptionError, isLlmSettingsError, ErrorCodes } from '../errors.js';
import type { RotatingSecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingRecord, SettingWrite, SettingsStore } from '../ports/settings-store.port.js';
import { scopeOfKey } from '../scopes.js';
import { checkOptions } from '../validation.js';

export interface RotationReport {
  /** Records the listing read (a key read again after a conflict is not counted again). */
  total: number;
  /** Records this run re-encrypted under the current key. */
  rotated: number;
}

/**
 * Values per `setMany`: a write by another process conflicts with one batch only, and
 * SQLite's one writer is free for others between batches.
 */
const BATCH_SIZE = 200;
/** Writes of one batch, each after re-reading the keys that changed, before giving up. */
const ATTEMPTS_PER_BATCH = 5;
/**
 * The longest pause after a batch, which otherwise lasts as long as the batch did: others
 * get half the time to write. SQLite's waiting writers try for its one lock every 100 ms at
 * most, and batches back to back would leave them no gap to take it in.
 */
const MAX_PAUSE_MS = 150;

/** How values are rotated, and who is named in their history entries. */
interface Rotation {
  readonly cipher: RotatingSecretCipher;
  readonly actor: string;
}

/** A stored value as read, and the write that replaces it with its rotation. */
interface PendingRotation {
  readonly read: SettingRecord;
  readonly write: SettingWrite;
}

/**
 * Re-encrypts every stored value under the cipher's current key. All values are rotated
 * in memory first: if any cannot be decrypted, nothing is written and the error names the
 * key (never the value). Then they are written in batches of a few hundred, each batch
 * atomic and compare-and-set, with a `rotate` history entry by `actor` (default `embedded`)
 * per rotated scope. Values others write meanwhile are not lost: when a batch conflicts,
 * its keys are read again, those now deleted or under the current key are left alone, the
 * changed ones are rotated from what is stored now, and the batch is written again.
 * Interrupted, it leaves values under the current key or the old one, all readable with
 * the key ring; running it again finishes the job.
 * @throws DecryptionError naming the key of a value no configured key opens.
 * @throws ConflictError when a batch's values keep changing through every attempt; the
 *   batches before it stay rotated.
 */
export async function rotateStoredSecrets(store: SettingsStore, cipher: RotatingSecretCipher, options: { actor?: string } = {}): Promise<RotationReport> {
  checkOptions(options);
  const rotation: Rotation = { cipher, actor: options.actor ?? 'embedded' };
  const pending: PendingRotation[] = [];
  let total = 0;
  for await (const record of store.list()) {
    total++;
    if (!cipher.isCurrent(record.value)) pending.push(await rotated(record, rotation, 'nothing was rotated'));
  }
  let written = 0;
  for (let start = 0; start < pending.length; start += BATCH_SIZE) {
    const since = performance.now();
    written += await writeBatch(store, pending.slice(start, start + BATCH_SIZE), rotation);
    if (start + BATCH_SIZE < pending.length) await sleep(Math.min(performance.now() - since, MAX_PAUSE_MS));
  }
  return { total, rotated: written };
}

/** Writes one batch, re-reading and retrying on a conflict. @returns the values written. */
async function writeBatch(store: SettingsStore, batch: readonly PendingRotation[], rotation: Rotation): Promise<number> {
  let changed: readonly string[] = [];
  for (let attempt = 1; batch.length > 0; attempt++) {
    try {
      await store.setMany(batch.map((pending) => pending.write));
      return batch.length;
    } catch (error) {
      if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
      if (attempt === ATTEMPTS_PER_BATCH) throw keptChanging(changed.length > 0 ? changed : batch.map((pending) => pending.read.key), error);
      ({ batch, changed } = await readAgain(store, batch, rotation));
    }
  }
  return 0;
}

/**
 * The batch from what is stored now: a key deleted or written under the current key
 * meanwhile needs nothing; one changed otherwise is rotated from its new value.
 */
async function readAgain(
  store: SettingsStore,
  batch: readonly PendingRotation[],
  rotation: Rotation,
): Promise<{ batch: PendingRotation[]; changed: string[] }> {
  const records = await Promise.all(batch.map((pending) => store.get(pending.read.key)));
  const again: PendingRotation[] = [];
  const changed: string[] = [];
  for (const [index, pending] of batch.entries()) {
    const record = records[index] ?? null;
    const unchanged = record !== null && record.version === pending.read.version && record.value === pending.read.value;
    if (!unchanged) changed.push(pending.read.key);
    if (record === null || rotation.cipher.isCurrent(record.value)) continue;
    again.push(unchanged ? pending : await rotated(record, rotation, 'the values written before it stay rotated'));
  }
  return { batch: again, changed };
}

async function rotated(record: SettingRecord, { cipher, actor }: Rotation, consequence: string): Promise<PendingRotation> {
  try {
    const scope = scopeOfKey(record.key);
    const history = scope === null ? {} : { history: { scope, action: 'rotate', actor, fields: [], apiKeyChanged: false } };
    return { read: record, write: { key: record.key, value: await cipher.rotate(record.value), expectedVersion: record.version, ...history } };
  } catch (error) {
    if (!isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)) throw error;
    throw new DecryptionError(`The value stored under "${record.key}" cannot be decrypted with any configured key; ${consequence}.`, { cause: error });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Names at most this many keys in an error. */
const KEYS_NAMED = 3;

function keptChanging(keys: readonly string[], cause: unknown): ConflictError {
  const named = keys.slice(0, KEYS_NAMED).map((key) => `"${key}"`).join(', ');
  const more = keys.length > KEYS_NAMED ? ` and ${keys.length - KEYS_NAMED} more` : '';
  return new ConflictError(
    `Key rotation stopped: the values stored under ${named}${more} kept changing while they were rotated (${ATTEMPTS_PER_BATCH} attempts). ` +
      'The values written before them stay rotated and every value stays readable with the configured keys; run the rotation again.',
    { cause },
  );
}
