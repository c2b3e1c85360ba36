import { describe, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError } from '@llm-settings/core';
import { assertSafeToServe, isLoopbackHost, loadConfig } from '../src/config.js';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('has documented defaults: SQLite under ./data, loopback, port 8080, 10 s probes', () => {
    expect(loadConfig({}, '/srv/app')).toEqual({
      production: false,
      encryptionKey: null,
      databaseUrl: 'sqlite:./data/llm-settings.db',
      dataDir: '/srv/app/data',
      host: '127.0.0.1',
      port: 8080,
      probeTimeoutMs: 10_000,
      apiToken: null,
      allowUnauthenticated: false,
      baseUrls: {},
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        ENCRYPTION_KEY: 'k1,k2',
        DATABASE_URL: 'postgres://u:p@db/x',
        HOST: '0.0.0.0',
        PORT: '9000',
        PROBE_TIMEOUT_MS: '2500',
        SETTINGS_API_TOKEN: 'a-long-enough-token',
        ALLOW_UNAUTHENTICATED: '1',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:1234',
        OPENAI_BASE_URL: 'http://127.0.0.1:1234/v1',
        LOG_LEVEL: 'debug',
      },
      '/srv/app',
    );
    expect(config).toMatchObject({
      encryptionKey: 'k1,k2',
      databaseUrl: 'postgres://u:p@db/x',
      dataDir: '/srv/app/data',
      host: '0.0.0.0',
      port: 9000,
      probeTimeoutMs: 2500,
      apiToken: 'a-long-enough-token',
      allowUnauthenticated: true,
      baseUrls: { anthropic: 'http://127.0.0.1:1234', openai: 'http://127.0.0.1:1234/v1' },
      logLevel: 'debug',
    });
  });

  it('puts the data folder beside the SQLite file', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/llm/settings.db' }).dataDir).toBe('/var/lib/llm');
    expect(loadConfig({ DATABASE_URL: 'sqlite:state/s.db' }, '/srv/app').dataDir).toBe('/srv/app/state');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', SETTINGS_API_TOKEN: '' }, '/srv/app')).toMatchObject({ port: 8080, apiToken: null });
  });

  it('reports every problem, one line each, without echoing values', () => {
    const message = configError({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      SETTINGS_API_TOKEN: 'short-secret',
      LOG_LEVEL: 'loud',
      OPENAI_BASE_URL: 'ftp://files',
    });
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([
      '  - DATABASE_URL must start with sqlite:, postgres:// or postgresql://',
      '  - PORT must be an integer from 0 to 65535',
      '  - SETTINGS_API_TOKEN must be at least 16 characters',
      '  - OPENAI_BASE_URL must be an http(s) URL',
      '  - LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent',
    ]);
    for (const secret of ['hunter2', 'short-secret', 'eighty', 'ftp://files']) expect(message).not.toContain(secret);
  });

  it('requires ENCRYPTION_KEY in production', () => {
    expect(configError({ NODE_ENV: 'production' })).toContain('ENCRYPTION_KEY is required when NODE_ENV=production');
  });
});

describe('assertSafeToServe', () => {
  const base = loadConfig({}, '/srv/app');

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback host without a token unless ALLOW_UNAUTHENTICATED=1', () => {
    expect(() => assertSafeToServe({ ...base, host: '0.0.0.0' })).toThrow(/SETTINGS_API_TOKEN/);
    expect(() => assertSafeToServe({ ...base, host: '0.0.0.0', apiToken: 'x'.repeat(16) })).not.toThrow();
    expect(() => assertSafeToServe({ ...base, host: '0.0.0.0', allowUnauthenticated: true })).not.toThrow();
    expect(() => assertSafeToServe(base)).not.toThrow();
  });
});
