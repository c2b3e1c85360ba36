import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  file(name: string): string;
  remove(): void;
}

/** A fresh folder under the OS temp dir. */
export function createTempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'llm-settings-knex-'));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
