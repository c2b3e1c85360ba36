import { statSync } from 'node:fs';

/**
 * Tells whether the SQLite database file at a path is still the one the pool's
 * connection opened. SQLite keeps reading and writing a file it has open after the file
 * is deleted (with its folder, say) or replaced (another file renamed over it): those
 * writes succeed, yet land in a file nobody will open again, and are lost.
 */
export interface SqliteFileGuard {
  /** Records the file now at the path as the one a new connection opened (one stat). */
  opened(): void;
  /** True once the file was found gone or replaced, until a connection opens the path again; no file system call. */
  readonly lost: boolean;
  /** Compares the file at the path with the one opened (one stat); a mismatch sets `lost`. */
  check(): boolean;
}

interface FileIdentity {
  dev: number;
  ino: number;
}

/** A guard for the database file at `filename` (absolute). */
export function createSqliteFileGuard(filename: string): SqliteFileGuard {
  /** The file the connection opened; undefined before the first connection, null when it was gone already. */
  let openedFile: FileIdentity | null | undefined;
  let lost = false;
  return {
    opened() {
      const current = identityAt(filename);
      openedFile = current ?? null;
      lost = current === null;
    },
    get lost() {
      return lost;
    },
    check() {
      if (lost) return false;
      if (openedFile === undefined) return true;
      const current = identityAt(filename);
      // undefined: the path could not be examined (a folder made unreadable, say); SQLite
      // reports such trouble itself, and it may pass, so it is not taken for a loss.
      if (current === undefined) return true;
      lost = current === null || current.dev !== openedFile?.dev || current.ino !== openedFile.ino;
      return !lost;
    },
  };
}

/** The file at `path`: null when there is none, undefined when it cannot be examined. */
function identityAt(path: string): FileIdentity | null | undefined {
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats ? { dev: stats.dev, ino: stats.ino } : null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? null : undefined;
  }
}
