import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, silentLogger, type Logger } from '@llm-settings/core';
import { createFernetCipher, generateFernetKey } from '@llm-settings/crypto-fernet';
import { loadConfig } from '../src/config.js';
import { resolveEncryptionKey } from '../src/encryption-key.js';
import { needsRoot, ROOT_SKIPPED } from './support/root.js';

// lstat goes through a spy so a test can swap the file between the check and the read.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, lstat: vi.fn(actual.lstat) };
});

/** The uid of 'nobody': a user other than the one running the tests (root: only root may give a file away). */
const OTHER_UID = 65534;

const dirs: string[] = [];
afterEach(() => {
  vi.mocked(fsPromises.lstat).mockClear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataConfig(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'llm-key-'));
  dirs.push(dir);
  return loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'nested', 'db.sqlite')}`, ...env });
}

/** A data folder (0700) holding a key file with the given mode, as a user would leave it. */
function withKeyFile(mode = 0o600) {
  const config = dataConfig();
  mkdirSync(config.dataDir, { mode: 0o700 });
  const path = join(config.dataDir, 'encryption.key');
  writeFileSync(path, `${generateFernetKey()}\n`, { mode });
  chmodSync(path, mode);
  return { config, path };
}

async function refusal(config: ReturnType<typeof dataConfig>): Promise<ConfigError> {
  const error = await resolveEncryptionKey(config, silentLogger).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('resolveEncryptionKey', () => {
  it('uses ENCRYPTION_KEY when set', async () => {
    const config = dataConfig({ ENCRYPTION_KEY: 'puRTQaJvmmVr9ce_ciILzxHJt4QsQUBF2voQr7Sqfns=' });
    const { keys, source } = await resolveEncryptionKey(config, silentLogger);
    expect({ keys: keys.reveal(), source }).toEqual({ keys: 'puRTQaJvmmVr9ce_ciILzxHJt4QsQUBF2voQr7Sqfns=', source: 'environment' });
  });

  it('generates a 0600 key file beside the database in a 0700 folder, says where, and reuses it', async () => {
    const config = dataConfig();
    const messages: Record<string, unknown>[] = [];
    const logger: Logger = { ...silentLogger, warn: (fields) => messages.push(fields), info: (fields) => messages.push(fields) };

    const first = await resolveEncryptionKey(config, logger);
    const path = join(config.dataDir, 'encryption.key');
    expect(first.source).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(config.dataDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.keys.reveal());
    expect(() => createFernetCipher({ keys: first.keys.reveal() })).not.toThrow();
    expect(messages[0]).toEqual({ path });

    const second = await resolveEncryptionKey(config, logger);
    expect(second.keys.reveal()).toBe(first.keys.reveal());
    expect(JSON.stringify(messages)).not.toContain(first.keys.reveal());
  });

  it('agrees on one key when two processes start at once', async () => {
    const config = dataConfig();
    const [a, b] = await Promise.all([resolveEncryptionKey(config, silentLogger), resolveEncryptionKey(config, silentLogger)]);
    expect(a.keys.reveal()).toBe(b.keys.reveal());
  });
});

describe('resolveEncryptionKey refuses a key file others could have planted, read or changed', () => {
  it('reads a private key file of its own', async () => {
    const { config, path } = withKeyFile();
    expect((await resolveEncryptionKey(config, silentLogger)).keys.reveal()).toBe(readFileSync(path, 'utf8').trim());
  });

  it.each([
    ['empty', '', 'it is empty'],
    ['cut short', 'gAAAAABlVmFsaWRCdXRTaG9ydA', 'Fernet key 1 of 1'],
  ])('refuses a key file that is %s, naming the file and not telling to generate a key', async (_what, content, reason) => {
    const { config, path } = withKeyFile();
    writeFileSync(path, content);
    const error = await refusal(config);
    expect(error.message).toContain(path);
    expect(error.message).toContain(reason);
    expect(error.message).toContain('from your backups');
    expect(error.message).not.toMatch(/generate one|generateFernetKey/);
    if (content !== '') expect(error.message).not.toContain(content);
  });

  it.each(['644', '640', '660', '604', '620'])('refuses mode %s and says to chmod 600, without the key', async (mode) => {
    const { config, path } = withKeyFile(parseInt(mode, 8));
    const error = await refusal(config);
    expect(error.message).toContain(path);
    expect(error.message).toContain(`chmod 600 ${path}`);
    expect(error.message).not.toContain(readFileSync(path, 'utf8').trim());
  });

  it.skipIf(ROOT_SKIPPED !== undefined)(needsRoot('refuses a key file owned by another user and says to chown it or remove it'), async () => {
    const { config, path } = withKeyFile();
    chownSync(path, OTHER_UID, OTHER_UID);
    const error = await refusal(config);
    expect(error.message).toContain(path);
    expect(error.message).toContain(`uid ${OTHER_UID}`);
    expect(error.message).toMatch(/chown/);
  });

  it('refuses a symbolic link, even to a private key file of its own', async () => {
    const { config, path } = withKeyFile();
    const target = join(config.dataDir, 'real.key');
    rmSync(path);
    writeFileSync(target, `${generateFernetKey()}\n`, { mode: 0o600 });
    symlinkSync(target, path);
    const error = await refusal(config);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/symbolic link/);
  });

  it('refuses a key file that is not a regular file', async () => {
    const config = dataConfig();
    mkdirSync(join(config.dataDir, 'encryption.key'), { recursive: true, mode: 0o700 });
    chmodSync(config.dataDir, 0o700);
    const error = await refusal(config);
    expect(error.message).toContain(join(config.dataDir, 'encryption.key'));
    expect(error.message).toMatch(/not a regular file/);
  });

  it.each(['777', '1777', '770', '722'])('refuses a data folder of mode %s that others can write, naming it', async (mode) => {
    const { config } = withKeyFile();
    chmodSync(config.dataDir, parseInt(mode, 8));
    const error = await refusal(config);
    expect(error.message).toContain(config.dataDir);
    expect(error.message).toContain(`chmod go-w ${config.dataDir}`);
  });

  it('refuses to generate a key file in a data folder that others can write', async () => {
    const config = dataConfig();
    mkdirSync(config.dataDir, { mode: 0o700 });
    chmodSync(config.dataDir, 0o777);
    await refusal(config);
    expect(() => statSync(join(config.dataDir, 'encryption.key'))).toThrow();
  });

  it.each([
    ['a world-readable file', (path: string) => writeFileSync(path, `${generateFernetKey()}\n`, { mode: 0o644 }), /chmod 600/],
    ['a symbolic link', (path: string) => symlinkSync(`${path}.elsewhere`, path), /symbolic link/],
  ])('checks the opened file, not only the path: a swap to %s after the check is refused', async (_, plant, reason) => {
    const { config, path } = withKeyFile();
    writeFileSync(`${path}.elsewhere`, `${generateFernetKey()}\n`, { mode: 0o600 });
    const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    vi.mocked(fsPromises.lstat).mockImplementationOnce(async (target) => {
      const checked = await actual.lstat(target);
      rmSync(path);
      plant(path);
      return checked;
    });
    const error = await refusal(config);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(reason);
  });
});

describe('resolveEncryptionKey with a dangling encryption.key symlink', () => {
  it('fails at once naming the link, instead of retrying forever', async () => {
    const config = dataConfig();
    mkdirSync(config.dataDir, { mode: 0o700 });
    const path = join(config.dataDir, 'encryption.key');
    symlinkSync(join(config.dataDir, 'missing-target'), path);
    const error = await refusal(config);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/symbolic link/);
  }, 2_000);
});

describe('resolveEncryptionKey without generating (a command on an existing deployment)', () => {
  it('refuses, naming the file, when there is no key file, and creates neither the folder nor a file', async () => {
    const config = dataConfig();
    const error = await resolveEncryptionKey(config, silentLogger, { generate: false }).then(
      () => new Error('expected a refusal'),
      (refusal: Error) => refusal,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(join(config.dataDir, 'encryption.key'));
    expect(existsSync(config.dataDir)).toBe(false);
  });

  it('reads the key file that is there', async () => {
    const { config, path } = withKeyFile();
    const resolved = await resolveEncryptionKey(config, silentLogger, { generate: false });
    expect(resolved.keys.reveal()).toBe(readFileSync(path, 'utf8').trim());
  });
});

describe('resolveEncryptionKey when the key file is missing and the database holds stored settings', () => {
  it('refuses before generating, naming the file and the database, and creates neither the folder nor a file', async () => {
    const config = dataConfig();
    const error = await resolveEncryptionKey(config, silentLogger, { holdsStoredSettings: async () => true }).then(
      () => new Error('expected a refusal'),
      (refusal: Error) => refusal,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`The encryption key file ${join(config.dataDir, 'encryption.key')} is missing`);
    expect(error.message).toContain(`the database ${String(config.databaseUrl)} holds settings encrypted with another key`);
    expect(existsSync(config.dataDir)).toBe(false);
  });

  it('uses the key file another process generated while the database was looked at', async () => {
    const config = dataConfig();
    const generated = generateFernetKey();
    const resolved = await resolveEncryptionKey(config, silentLogger, {
      async holdsStoredSettings() {
        mkdirSync(config.dataDir, { mode: 0o700 });
        writeFileSync(join(config.dataDir, 'encryption.key'), `${generated}\n`, { mode: 0o600 });
        return true;
      },
    });
    expect(resolved.keys.reveal()).toBe(generated);
  });

  it('does not look at the database when the key file is there', async () => {
    const { config, path } = withKeyFile();
    const look = vi.fn(async () => true);
    expect((await resolveEncryptionKey(config, silentLogger, { holdsStoredSettings: look })).keys.reveal()).toBe(readFileSync(path, 'utf8').trim());
    expect(look).not.toHaveBeenCalled();
  });
});
