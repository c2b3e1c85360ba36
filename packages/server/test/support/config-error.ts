import { expect } from 'vitest';
import { ErrorCodes, isLlmSettingsError } from '@llm-settings/core';
import { loadConfig } from '../../src/config.js';

/** The message of the configuration error `env` makes loadConfig throw; fails the test when it throws none, or another. */
export function configError(env: Record<string, string>): string {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}
