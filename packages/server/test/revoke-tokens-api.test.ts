import { afterEach, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings, type LlmSettings } from '../src/create-llm-settings.js';

let settings: LlmSettings | undefined;
afterEach(async () => {
  await settings?.close();
  settings = undefined;
});

async function open(): Promise<LlmSettings> {
  settings = await createLlmSettings({
    env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), SETTINGS_TOKEN_SECRET: 'token-secret-0123456789abcdef0123456789' },
    logger: silentLogger,
  });
  return settings;
}

const revocationsOf = async (of: LlmSettings, scope: string) => (await of.history({ scope })).entries.filter((entry) => entry.action === 'revoke-tokens').length;

it("revokeTokens({ scope }) revokes that scope's tokens, by the actor given", async () => {
  const of = await open();
  await of.revokeTokens({ scope: 'tenant-a', actor: 'ops' });
  expect((await of.history({ scope: 'tenant-a' })).entries).toMatchObject([{ action: 'revoke-tokens', actor: 'ops' }]);
});

it.each([['a scope name alone', 'tenant-a'], ['null', null]])('revokeTokens given %s is a ValidationError naming options, and revokes nothing (not the default scope)', async (_what, options) => {
  const of = await open();
  const error = await of.revokeTokens(options as never).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT) && error.message).toBe('Invalid request: options must be an object');
  expect(await revocationsOf(of, 'default')).toBe(0);
  expect(await revocationsOf(of, 'tenant-a')).toBe(0);
});
