import { ConfigError, ErrorCodes, isLlmSettingsError, type Logger, type SecretCipher, type SettingsStore } from '@llm-settings/core';
import { cliCommand } from './cli-command.js';

/**
 * Stored values tried at start-up: the first ones in key order, which the store reads in
 * one query (a page of `list()`), whatever its size. A new key opens none of them.
 */
export const KEY_CHECK_SAMPLE_SIZE = 100;

export interface KeyCheckOptions {
  store: SettingsStore;
  cipher: SecretCipher;
  logger: Logger;
  /** ALLOW_UNDECRYPTABLE: start with a warning even when no sampled value opens. */
  allowUndecryptable: boolean;
  /** Where the keys came from, for the message: `environment` or the key file's path. */
  keySource: string;
}

interface SampleReport {
  /** Values tried. */
  sampled: number;
  /** Values among them that no configured key opens. */
  undecryptable: number;
}

/**
 * Checks that the configured keys open the stored values, before anything is served: a
 * key generated anew at each start (or a lost key file) would otherwise start cleanly and
 * answer every read with CRYPTO.UNDECRYPTABLE. Refuses when values exist and none of the
 * sample opens, unless `allowUndecryptable`; warns with the counts when only some open.
 * Nothing is written, and no message names a key.
 * @throws ConfigError saying how to recover.
 */
export async function checkKeysOpenStoredValues(options: KeyCheckOptions): Promise<void> {
  const { sampled, undecryptable } = await trySample(options.store, options.cipher);
  if (undecryptable === 0) return;
  const fromFile = options.keySource !== 'environment';
  const keys = fromFile ? `the key file ${options.keySource}` : 'ENCRYPTION_KEY';
  if (undecryptable < sampled) {
    options.logger.warn(
      { sampled, undecryptable },
      `${undecryptable} of ${sampled} stored values checked at start-up cannot be decrypted with the keys in ${keys}; reads of those settings answer ${ErrorCodes.CRYPTO_UNDECRYPTABLE} until the key they were saved with is added to ENCRYPTION_KEY`,
    );
    return;
  }
  if (options.allowUndecryptable) {
    options.logger.warn(
      { sampled, undecryptable },
      `none of the ${sampled} stored values checked at start-up can be decrypted with the keys in ${keys}; starting anyway because ALLOW_UNDECRYPTABLE=1: reads of stored settings answer ${ErrorCodes.CRYPTO_UNDECRYPTABLE} until the key they were saved with is back`,
    );
    return;
  }
  throw new ConfigError(
    [
      `Refusing to start: none of the ${sampled} stored values checked can be decrypted with the keys in ${keys}, so they were saved under another key and every read would answer ${ErrorCodes.CRYPTO_UNDECRYPTABLE}. Nothing was changed. To recover:`,
      `  - start again with the previous key in ENCRYPTION_KEY${fromFile ? ' (or put the key file from your backups back in place)' : ''}; or`,
      `  - set ENCRYPTION_KEY=NEW,PREVIOUS (the new key first, the previous one after it), start, and run ${cliCommand('rotate-key')} to re-encrypt every value under NEW (llm-settings' docs/key-rotation.md);`,
      '  - or set ALLOW_UNDECRYPTABLE=1 to start anyway, if the previous key is lost: those settings stay unreadable until they are saved again.',
    ].join('\n'),
  );
}

async function trySample(store: SettingsStore, cipher: SecretCipher): Promise<SampleReport> {
  let sampled = 0;
  let undecryptable = 0;
  for await (const record of store.list()) {
    try {
      await cipher.decrypt(record.value);
    } catch (error) {
      if (!isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)) throw error;
      undecryptable++;
    }
    if (++sampled === KEY_CHECK_SAMPLE_SIZE) break;
  }
  return { sampled, undecryptable };
}
