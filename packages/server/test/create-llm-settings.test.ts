import { describe, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider } from '@llm-settings/fake-provider';
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
      expect(await settings.service.test({ scope: 'tenant-1' })).toMatchObject({ success: true, code: 'ok' });
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

  it('resolve() and client() hand the stored settings to the code that calls the LLM, per scope', async () => {
    const fake = await startFakeProvider();
    const anthropicKey = 'sk-ant-api03-CLIENT-SECRET-abcdefghij';
    const settings = await createLlmSettings({
      env: {
        DATABASE_URL: 'sqlite::memory:',
        ENCRYPTION_KEY: generateFernetKey(),
        OPENAI_BASE_URL: fake.baseUrls.openai,
        ANTHROPIC_BASE_URL: fake.baseUrls.anthropic,
      },
      logger: silentLogger,
    });
    try {
      await settings.service.update({ provider: 'anthropic', api_key: anthropicKey, model: 'claude-3-5-haiku-20241022' }, { scope: 'user-1' });
      await settings.service.update({ provider: 'openai', api_key: KEY, model: 'gpt-4o-mini' }, { scope: 'user-2' });
      const resolved = await settings.service.resolve({ scope: 'user-1' });
      expect(resolved).toMatchObject({ provider: 'anthropic', model: 'claude-3-5-haiku-20241022', version: 1 });
      expect(JSON.stringify(resolved)).not.toContain('CLIENT-SECRET');

      const first = await settings.client({ scope: 'user-1' });
      if (first.dialect !== 'anthropic') throw new Error('expected an Anthropic client');
      const message = await first.client.messages.create({ model: first.model, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] });
      expect(message.content[0]).toMatchObject({ type: 'text' });
      expect(fake.requests.at(-1)).toMatchObject({ provider: 'anthropic', path: '/v1/messages', apiKey: anthropicKey });

      const second = await settings.client({ scope: 'user-2' });
      if (second.dialect !== 'openai') throw new Error('expected an OpenAI client');
      const completion = await second.client.chat.completions.create({ model: second.model, messages: [{ role: 'user', content: 'Hi' }] });
      expect(completion.choices[0]?.message.content).toEqual(expect.any(String));
      expect(fake.requests.at(-1)).toMatchObject({ provider: 'openai', path: '/v1/chat/completions', apiKey: KEY });

      const missing = await settings.client({ scope: 'nobody' }).catch((error: unknown) => error);
      expect(isLlmSettingsError(missing, ErrorCodes.SETTINGS_NOT_CONFIGURED)).toBe(true);

      // A scope with only inherit_from gets a client with its parent's provider, model and key.
      await settings.service.update({ inherit_from: 'user-2' }, { scope: 'user-3' });
      const inherited = await settings.client({ scope: 'user-3' });
      if (inherited.dialect !== 'openai') throw new Error('expected an OpenAI client');
      await inherited.client.chat.completions.create({ model: inherited.model, messages: [{ role: 'user', content: 'Hi' }] });
      expect(fake.requests.at(-1)).toMatchObject({ provider: 'openai', apiKey: KEY });
      expect(inherited.model).toBe('gpt-4o-mini');
    } finally {
      await settings.close();
      await fake.close();
    }
  });

  it('history() pages the changes of a scope, in-process ones by the embedded actor, kept for HISTORY_RETENTION_DAYS', async () => {
    const settings = await createLlmSettings({
      env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), HISTORY_RETENTION_DAYS: '30' },
      logger: silentLogger,
    });
    try {
      expect(settings.config.historyRetentionDays).toBe(30);
      await settings.service.update({ provider: 'openai', api_key: KEY }, { scope: 'tenant-1' });
      await settings.rotateKeys();
      await settings.service.clear({ scope: 'tenant-1' });
      const page = await settings.history({ scope: 'tenant-1', limit: 2 });
      expect(page.entries.map((entry) => `${entry.action} ${entry.actor}`)).toEqual(['delete embedded', 'update embedded']);
      expect(page.next).toBeNull();
      expect(JSON.stringify(page)).not.toContain(KEY.slice(-4));
    } finally {
      await settings.close();
    }
  });
});
