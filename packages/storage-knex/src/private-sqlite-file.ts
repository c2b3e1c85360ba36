import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@llm-settings/core';

/**
 * Creates the missing folders of an SQLite database file with mode 0700, and the file
 * itself, empty, with mode 0600, before SQLite opens it (SQLite would create it 0644).
 * SQLite gives the -wal and -shm files the database file's mode, so they are 0600 too.
 * Existing folders and files keep the mode their owner chose.
 * @throws ConfigError naming the folder or file that cannot be created.
 */
export function createPrivateSqliteFile(filename: string): void {
  const folder = dirname(filename);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ConfigError(`Cannot create the folder ${folder} of the SQLite database file (${codeOf(error)}): create it, or change DATABASE_URL.`, {
      cause: error,
    });
  }
  try {
    closeSync(openSync(filename, 'wx', 0o600));
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return;
    throw new ConfigError(`Cannot create the SQLite database file ${filename} (${codeOf(error)}): let this user write ${folder}, or change DATABASE_URL.`, {
      cause: error,
    });
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'error';
}
