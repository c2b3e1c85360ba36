import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@llm-settings/core';
import type { Logger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import type { ServerConfig } from './config.js';

export const KEY_FILE_NAME = 'encryption.key';

export interface ResolvedEncryptionKey {
  keys: string;
  /** Where the key came from: the environment, or the key file's path. */
  source: 'environment' | string;
}

/**
 * ENCRYPTION_KEY when set. Otherwise (never in production) the key in
 * `<dataDir>/encryption.key`, generated with mode 0600 on first use.
 */
export async function resolveEncryptionKey(config: ServerConfig, logger: Logger): Promise<ResolvedEncryptionKey> {
  if (config.encryptionKey !== null) return { keys: config.encryptionKey, source: 'environment' };
  const path = join(config.dataDir, KEY_FILE_NAME);
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new ConfigError(`Cannot read the encryption key file ${path} (${error.code ?? 'error'})`, { cause: error });
  });
  if (existing !== null) {
    logger.info({ path }, 'using the encryption key file (ENCRYPTION_KEY is not set)');
    return { keys: existing.trim(), source: path };
  }
  await mkdir(config.dataDir, { recursive: true });
  // 'wx' fails if another process created the file meanwhile; then use that one.
  const created = await writeFile(path, `${generateFernetKey()}\n`, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw new ConfigError(`Cannot write the encryption key file ${path} (${error.code ?? 'error'})`, { cause: error });
    },
  );
  if (!created) return resolveEncryptionKey(config, logger);
  await chmod(path, 0o600);
  logger.warn(
    { path },
    'generated a new encryption key because ENCRYPTION_KEY is not set; back this file up: stored API keys cannot be read without it',
  );
  return { keys: (await readFile(path, 'utf8')).trim(), source: path };
}
