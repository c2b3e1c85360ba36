import { DecryptionError, isLlmSettingsError, ErrorCodes } from '../errors.js';
import type { RotatingSecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingWrite, SettingsStore } from '../ports/settings-store.port.js';
import { scopeOfKey } from '../scopes.js';

export interface RotationReport {
  /** Records read. */
  total: number;
  /** Records re-encrypted under the current key. */
  rotated: number;
}

/**
 * Re-encrypts every stored value under the cipher's current key in one atomic write.
 * All values are rotated in memory first: if any cannot be decrypted, nothing is
 * written and the error names the key (never the value). Each rotated scope gets a `rotate`
 * history entry by `actor` (default `embedded`), in the same write.
 */
export async function rotateStoredSecrets(store: SettingsStore, cipher: RotatingSecretCipher, options: { actor?: string } = {}): Promise<RotationReport> {
  const actor = options.actor ?? 'embedded';
  const writes: SettingWrite[] = [];
  let total = 0;
  for await (const record of store.list()) {
    total++;
    if (cipher.isCurrent(record.value)) continue;
    try {
      const scope = scopeOfKey(record.key);
      const history = scope === null ? {} : { history: { scope, action: 'rotate', actor, fields: [], apiKeyChanged: false } };
      writes.push({ key: record.key, value: await cipher.rotate(record.value), expectedVersion: record.version, ...history });
    } catch (error) {
      if (!isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)) throw error;
      throw new DecryptionError(
        `The value stored under "${record.key}" cannot be decrypted with any configured key; nothing was rotated.`,
        { cause: error },
      );
    }
  }
  if (writes.length > 0) await store.setMany(writes);
  return { total, rotated: writes.length };
}
