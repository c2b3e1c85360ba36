import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '@llm-settings/core';
import { createFernetCipher } from '@llm-settings/crypto-fernet';
import { loadConfig } from '../src/config.js';
import { resolveEncryptionKey } from '../src/encryption-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataConfig(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'llm-key-'));
  dirs.push(dir);
  return loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'nested', 'db.sqlite')}`, ...env });
}

describe('resolveEncryptionKey', () => {
  it('uses ENCRYPTION_KEY when set', async () => {
    const config = dataConfig({ ENCRYPTION_KEY: 'from-env' });
    expect(await resolveEncryptionKey(config, silentLogger)).toEqual({ keys: 'from-env', source: 'environment' });
  });

  it('generates a 0600 key file beside the database, says where, and reuses it', async () => {
    const config = dataConfig();
    const messages: Record<string, unknown>[] = [];
    const logger: Logger = { ...silentLogger, warn: (fields) => messages.push(fields), info: (fields) => messages.push(fields) };

    const first = await resolveEncryptionKey(config, logger);
    const path = join(config.dataDir, 'encryption.key');
    expect(first.source).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.keys);
    expect(() => createFernetCipher({ keys: first.keys })).not.toThrow();
    expect(messages[0]).toEqual({ path });

    const second = await resolveEncryptionKey(config, logger);
    expect(second.keys).toBe(first.keys);
    expect(JSON.stringify(messages)).not.toContain(first.keys);
  });

  it('agrees on one key when two processes start at once', async () => {
    const config = dataConfig();
    const [a, b] = await Promise.all([resolveEncryptionKey(config, silentLogger), resolveEncryptionKey(config, silentLogger)]);
    expect(a.keys).toBe(b.keys);
  });
});
