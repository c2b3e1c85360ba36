import { describe, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider } from '@llm-settings/provider-probe/testing';
import { createLlmSettings } from '../src/create-llm-settings.js';

const KEY = 'sk-proj-EMBEDDED-SECRET-0123456789';

describe('createLlmSettings (embedding without HTTP)', () => {
  it('wires the core to Fernet, knex storage and the SDK probe from the environment', async () => {
    const fake = await startFakeProvider();
    const settings = await createLlmSettings({
      env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), OPENAI_BASE_URL: fake.baseUrls.openai },
      logger: silentLogger,
    });
    try {
      const saved = await settings.service.update({ provider: 'openai', api_key: KEY }, { scope: 'tenant-1' });
      expect(saved.view).toMatchObject({ provider: 'openai', model: 'gpt-4o', api_key_masked: '...6789' });
      const raw = await settings.store.get('llm_config:tenant-1');
      expect(raw!.value).not.toContain('EMBEDDED');
      expect(JSON.parse(await settings.cipher.decrypt(raw!.value))).toMatchObject({ api_key: KEY, scope: 'tenant-1' });
      expect(await settings.service.test(undefined, 'tenant-1')).toMatchObject({ success: true, code: 'ok' });
      expect(fake.requests.at(-1)).toMatchObject({ provider: 'openai', apiKey: KEY });
    } finally {
      await settings.close();
      await fake.close();
    }
  });

  it('fails on an invalid ENCRYPTION_KEY before touching storage, without echoing it', async () => {
    const error = await createLlmSettings({
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', ENCRYPTION_KEY: 'definitely-not-fernet' },
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    expect((error as Error).message).not.toContain('definitely-not-fernet');
  });
});
