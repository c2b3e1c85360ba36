import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The default database file's name inside the data folder. */
export const DEFAULT_DATABASE_FILE = 'llm-settings.db';

/**
 * The project this server runs for: the nearest folder holding a package.json above the
 * server package itself. From this repository's checkout that is the repository root;
 * installed in an application (`<app>/node_modules/@llm-settings/server`, npm or pnpm
 * layout) it is the application. Undefined when there is none, as for a global install.
 * @param from a folder inside the server package
 * @default from this module's own folder
 */
export function findProjectDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const serverPackage = nearestPackageDir(from);
  return serverPackage === undefined ? undefined : nearestPackageDir(dirname(serverPackage));
}

function nearestPackageDir(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
