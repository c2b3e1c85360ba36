import { join } from 'node:path';
import { ConfigError, Secret } from '@llm-settings/core';
import type { Logger } from '@llm-settings/core';
import { generateFernetKey, parseFernetKeys } from '@llm-settings/crypto-fernet';
import { reasonOf, type ServerConfig } from './config.js';
import { createKeyFile, ensurePrivateKeyFolder, identifyKeyFile, readKeyFile, removeKeyFileIfInPlace, type KeyFileIdentity } from './key-file.js';

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
 * created with mode 0700.
 * @throws ConfigError when the key file or its folder is not private to this user
 *   (see key-file.ts), naming the path and the fix.
 */
export async function resolveEncryptionKey(config: ServerConfig, logger: Logger): Promise<ResolvedEncryptionKey> {
  if (config.encryptionKey !== null) return { keys: config.encryptionKey, source: 'environment' };
  const path = join(config.dataDir, KEY_FILE_NAME);
  await ensurePrivateKeyFolder(config.dataDir);
  const existing = await readKeyFile(path);
  if (existing === null) {
    const key = new Secret(generateFernetKey());
    if (await createKeyFile(path, key)) {
      logger.warn(
        { path },
        'generated a new encryption key because ENCRYPTION_KEY is not set; back this file up: stored API keys cannot be read without it',
      );
      const file = await identifyKeyFile(path, key);
      generatedByStart.set(config, file);
      return { keys: key, source: path, file };
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

/** The key file a start generated, by the configuration object that start resolved its key with (see removeKeyFileIfStartFails). */
const generatedByStart = new WeakMap<ServerConfig, KeyFileIdentity>();

/**
 * Runs a start and, should it fail, removes the key file that this very start generated: a
 * failed start leaves no key behind, in a folder the operator may not have meant (a folder
 * given as the database) or for the next start to take as the key of data it never
 * encrypted. `start` gets a copy of `config` of its own and must resolve its key with it,
 * so that no other start's key file is taken for this one's. Only a file still holding the
 * key this start wrote is removed, and only when the start fails before it returns or
 * serves, so before anything was encrypted with it here; a key file that was there before
 * is never touched.
 */
export async function removeKeyFileIfStartFails<T>(config: ServerConfig, logger: Logger, start: (config: ServerConfig) => Promise<T>): Promise<T> {
  const own = { ...config };
  try {
    return await start(own);
  } catch (error) {
    const file = generatedByStart.get(own);
    if (file !== undefined && (await removeKeyFileIfInPlace(file))) {
      logger.info({ path: file.path }, 'removed the encryption key file this start generated, as the start failed');
    }
    throw error;
  } finally {
    generatedByStart.delete(own);
  }
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
