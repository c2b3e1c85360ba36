import { createHash, randomUUID } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import { ConfigError, Secret } from '@llm-settings/core';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** Mode bits that give the group or others any access to a file. */
const SHARED_FILE_BITS = 0o077;
/** Mode bits that let the group or others add, rename or remove a folder's entries. */
const SHARED_WRITE_BITS = 0o022;

const USE_ENVIRONMENT = 'or set ENCRYPTION_KEY instead of using a key file';

/**
 * Creates the key file's folder with mode 0700 when it is missing. Refuses one the
 * group or others can write, even with the sticky bit: they could plant a key file
 * before the first start, and temporary folders get cleaned (a lost key loses every
 * stored API key).
 * @throws ConfigError naming the folder and the fix.
 */
export async function ensurePrivateKeyFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`Cannot create the folder ${dir} for the encryption key file (${error.code ?? 'error'}); ${USE_ENVIRONMENT}.`, { cause: error });
  });
  const { mode } = await stat(dir);
  if ((mode & SHARED_WRITE_BITS) !== 0) {
    throw new ConfigError(
      `The folder ${dir} holding the encryption key file can be written by other users (mode ${octal(mode)}): run \`chmod go-w ${dir}\`, point LLM_SETTINGS_HOME or DATABASE_URL at a private folder, ${USE_ENVIRONMENT}.`,
    );
  }
}

/**
 * The key file's text, trimmed, as a Secret, or null when there is none. Refuses anything
 * but a regular file of this service's user that no one else can access. The checks run on
 * the opened descriptor, so a file swapped in after lstat is caught too.
 * @throws ConfigError naming the file and the fix; never its content.
 */
export async function readKeyFile(path: string): Promise<Secret | null> {
  const entry = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw unreadable(path, error);
  });
  if (entry === null) return null;
  assertPrivateKeyFile(path, entry);
  // O_NOFOLLOW: a symlink swapped in since lstat fails with ELOOP. O_NONBLOCK: a FIFO cannot block the open.
  const handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? symbolicLinkRefused(path) : unreadable(path, error);
  });
  try {
    assertPrivateKeyFile(path, await handle.stat());
    return new Secret((await handle.readFile('utf8')).trim());
  } finally {
    await handle.close();
  }
}

/**
 * Writes a new key file holding `keys` and a newline, with mode 0600, that appears
 * complete: it is written under a temporary name, then hard-linked to `path`, which fails
 * when anything (even a dangling symlink) is there already. False when something was:
 * another process started first.
 * @throws ConfigError naming the file when it cannot be written.
 */
export async function createKeyFile(path: string, keys: Secret): Promise<boolean> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      await handle.chmod(0o600); // the umask may have taken the owner's bits
      await handle.writeFile(`${keys.reveal()}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return await link(temporary, path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
  } catch (error) {
    throw new ConfigError(`Cannot write the encryption key file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); ${USE_ENVIRONMENT}.`, {
      cause: error,
    });
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** Which file is at a key file's path, and what it holds: enough to tell later whether it still does. */
export interface KeyFileIdentity {
  path: string;
  dev: number;
  ino: number;
  /** SHA-256 of the keys read from it, which never leaves the process. */
  digest: string;
}

/** The file now at `path` (not following a symlink), holding `keys`. */
export async function identifyKeyFile(path: string, keys: Secret): Promise<KeyFileIdentity> {
  const { dev, ino } = await lstat(path);
  return { path, dev, ino, digest: digestOf(keys) };
}

/**
 * False when the key file is gone from its path, another file took its place, or its
 * content changed (a copy over it, an editor's save, `>` truncating it): the keys in
 * memory still work, but the next start would not find them (and, outside production,
 * would generate a new key that opens none of the stored values).
 */
export async function isKeyFileInPlace(identity: KeyFileIdentity): Promise<boolean> {
  const current = await lstat(identity.path).catch(() => null);
  if (current === null || current.dev !== identity.dev || current.ino !== identity.ino) return false;
  const keys = await readKeyFile(identity.path).catch(() => null);
  return keys !== null && digestOf(keys) === identity.digest;
}

function digestOf(keys: Secret): string {
  return createHash('sha256').update(keys.reveal()).digest('hex');
}

function assertPrivateKeyFile(path: string, stats: Stats): void {
  if (stats.isSymbolicLink()) throw symbolicLinkRefused(path);
  if (!stats.isFile()) {
    throw new ConfigError(`The encryption key file ${path} is not a regular file: replace it with the key file, ${USE_ENVIRONMENT}.`);
  }
  const uid = serviceUid();
  if (stats.uid !== uid) {
    throw new ConfigError(
      `The encryption key file ${path} is owned by uid ${stats.uid}, not by this service's user (uid ${uid}): if it is your key, run \`chown ${uid} ${path}\`; if no one you trust put it there, remove it, ${USE_ENVIRONMENT}.`,
    );
  }
  if ((stats.mode & SHARED_FILE_BITS) !== 0) {
    throw new ConfigError(
      `The encryption key file ${path} is open to other users (mode ${octal(stats.mode)}): run \`chmod 600 ${path}\` and consider the key exposed, ${USE_ENVIRONMENT}.`,
    );
  }
}

function serviceUid(): number {
  if (process.getuid === undefined) {
    throw new ConfigError(`This platform has no file ownership to protect an encryption key file; set ENCRYPTION_KEY.`);
  }
  return process.getuid();
}

function symbolicLinkRefused(path: string): ConfigError {
  return new ConfigError(
    `The encryption key file ${path} is a symbolic link, which is never followed: replace it with the key file itself (mode 600), ${USE_ENVIRONMENT}.`,
  );
}

function unreadable(path: string, error: NodeJS.ErrnoException): ConfigError {
  return new ConfigError(`Cannot read the encryption key file ${path} (${error.code ?? 'error'}); ${USE_ENVIRONMENT}.`, { cause: error });
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8);
}
