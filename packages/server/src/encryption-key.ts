import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, Secret } from '@llm-settings/core';
import type { Logger } from '@llm-settings/core';
import { generateFernetKey, parseFernetKeys } from '@llm-settings/crypto-fernet';
import { cliCommand } from './cli-command.js';
import { reasonOf, type ServerConfig } from './config.js';
import { createKeyFile, ensurePrivateKeyFolder, identifyKeyFile, readKeyFile, type KeyFileIdentity } from './key-file.js';
import { databaseHoldsSettings } from './stored-settings.js';

export const KEY_FILE_NAME = 'encryption.key';

export interface ResolvedEncryptionKey {
  /** The comma-separated key list; prints as its mask. */
  keys: Secret;
  /** Where the key came from: the environment, or the key file's path. */
  source: 'environment' | string;
  /** The key file read or written, for the readiness check to notice its removal; absent for the environment. */
  file?: KeyFileIdentity;
}

export interface KeyResolutionOptions {
  /**
   * Generate a key file when there is none; false for a command on an existing deployment,
   * which a new key could only fail to open.
   * @default true
   */
  generate?: boolean;
  /**
   * Whether the database already holds stored settings, asked before a key file is generated.
   * @default a look at the configured database (see stored-settings.ts)
   */
  holdsStoredSettings?: () => Promise<boolean>;
}

/**
 * ENCRYPTION_KEY when set. Otherwise (never in production) the key in
 * `<dataDir>/encryption.key`, generated with mode 0600 on first use in a folder
 * created with mode 0700, unless `generate` is false or the database already holds stored
 * settings (the key file was lost: a new key could open none of them). A key file, once
 * there, is never removed: another process sharing the folder may already encrypt with it.
 * @throws ConfigError when the key file or its folder is not private to this user
 *   (see key-file.ts), naming the path and the fix; or, when there is none, with `generate`
 *   false or a database that holds stored settings.
 */
export async function resolveEncryptionKey(config: ServerConfig, logger: Logger, options: KeyResolutionOptions = {}): Promise<ResolvedEncryptionKey> {
  if (config.encryptionKey !== null) return { keys: config.encryptionKey, source: 'environment' };
  const { generate = true, holdsStoredSettings = () => databaseHoldsSettings(config, logger) } = options;
  const path = join(config.dataDir, KEY_FILE_NAME);
  if (!existsSync(path)) {
    if (!generate) {
      throw new ConfigError(`ENCRYPTION_KEY is not set and there is no key file ${path}: set ENCRYPTION_KEY to the key the stored settings were saved with, or check LLM_SETTINGS_HOME and DATABASE_URL.`);
    }
    // Looked at again after: another process starting at once may have generated it and stored a value meanwhile.
    if ((await holdsStoredSettings()) && !existsSync(path)) throw lostKeyFile(path, config);
  }
  await ensurePrivateKeyFolder(config.dataDir);
  const existing = await readKeyFile(path);
  if (existing === null) {
    const key = new Secret(generateFernetKey());
    if (await createKeyFile(path, key)) {
      logger.warn(
        { path },
        'generated a new encryption key because ENCRYPTION_KEY is not set; back this file up: stored API keys cannot be read without it',
      );
      return { keys: key, source: path, file: await identifyKeyFile(path, key) };
    }
  }
  // Either the file was there, or another process created it first: use that one.
  const keys = existing ?? (await readKeyFile(path));
  if (keys === null) {
    throw new ConfigError(`The encryption key file ${path} was removed while this process started: start again, or set ENCRYPTION_KEY.`);
  }
  assertKeyList(path, keys);
  logger.info({ path }, 'using the encryption key file (ENCRYPTION_KEY is not set)');
  return { keys, source: path, file: await identifyKeyFile(path, keys) };
}

/** Refuses a key file that holds no usable key list (emptied, cut short), naming the file and never its content. */
function assertKeyList(path: string, keys: Secret): void {
  if (keys.reveal() === '') throw unusableKeyFile(path, 'it is empty');
  try {
    parseFernetKeys(keys.reveal());
  } catch (error) {
    // The parser names keys by position, never by value.
    throw unusableKeyFile(path, reasonOf(error, 'it is not a Fernet key list'));
  }
}

/** Before anything is generated: a new key would sit where the lost one belongs, and open none of the stored settings. */
function lostKeyFile(path: string, config: ServerConfig): ConfigError {
  return new ConfigError(
    `The encryption key file ${path} is missing, and the database ${String(config.databaseUrl)} holds settings encrypted with another key, which a new key could not open; nothing was generated. ` +
      `Put the key file back from your backups (or point LLM_SETTINGS_HOME at the folder holding it), or set ENCRYPTION_KEY to the key the settings were saved with. ` +
      `If that key is lost for good: set ENCRYPTION_KEY to a new key from ${cliCommand('generate-key')} and ALLOW_UNDECRYPTABLE=1; the stored settings stay unreadable until they are saved again.`,
  );
}

function unusableKeyFile(path: string, reason: string): ConfigError {
  return new ConfigError(
    `The encryption key file ${path} holds no usable key (${reason}). Put the file back from your backups, or set ENCRYPTION_KEY; remove it only if nothing was ever stored with it (a new key is then generated).`,
  );
}
