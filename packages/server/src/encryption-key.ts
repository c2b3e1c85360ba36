import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, Secret } from '@llm-settings/core';
import type { Logger } from '@llm-settings/core';
import { generateFernetKey, parseFernetKeys } from '@llm-settings/crypto-fernet';
import { reasonOf, type ServerConfig } from './config.js';
import { createKeyFile, ensurePrivateKeyFolder, identifyKeyFile, readKeyFile, type KeyFileIdentity } from './key-file.js';

export const KEY_FILE_NAME = 'encryption.key';

export interface ResolvedEncryptionKey {
  /** The comma-separated key list; prints as its mask. */
  keys: Secret;
  /** Where the key came from: the environment, or the key file's path. */
  source: 'environment' | string;
  /** The key file read or written, for the readiness check to notice its removal; absent for the environment. */
  file?: KeyFileIdentity;
}

/**
 * ENCRYPTION_KEY when set. Otherwise (never in production) the key in
 * `<dataDir>/encryption.key`, generated with mode 0600 on first use in a folder
 * created with mode 0700, unless `generate` is false (a command on an existing
 * deployment, which a new key could only fail to open). A key file, once there, is never
 * removed: another process sharing the folder may already encrypt with it.
 * @throws ConfigError when the key file or its folder is not private to this user
 *   (see key-file.ts), naming the path and the fix; or, with `generate` false, when there is none.
 */
export async function resolveEncryptionKey(config: ServerConfig, logger: Logger, { generate = true }: { generate?: boolean } = {}): Promise<ResolvedEncryptionKey> {
  if (config.encryptionKey !== null) return { keys: config.encryptionKey, source: 'environment' };
  const path = join(config.dataDir, KEY_FILE_NAME);
  if (!generate && !existsSync(path)) {
    throw new ConfigError(`ENCRYPTION_KEY is not set and there is no key file ${path}: set ENCRYPTION_KEY to the key the stored settings were saved with, or check LLM_SETTINGS_HOME and DATABASE_URL.`);
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

function unusableKeyFile(path: string, reason: string): ConfigError {
  return new ConfigError(
    `The encryption key file ${path} holds no usable key (${reason}). Put the file back from your backups, or set ENCRYPTION_KEY; remove it only if nothing was ever stored with it (a new key is then generated).`,
  );
}
