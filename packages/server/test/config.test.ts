import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ProviderRegistry, Secret } from '@llm-settings/core';
import { allowedHostsFor, assertSafeToServe, isLoopbackHost, loadConfig } from '../src/config.js';
import { unknownVariables } from '../src/unknown-variables.js';
import { configError } from './support/config-error.js';

describe('loadConfig', () => {
  it('has documented defaults: SQLite under the project\'s data folder, loopback, port 8080, 10 s probes, 4 in flight', () => {
    const config = loadConfig({}, '/srv/app', '/srv/app');
    expect(config.databaseUrl.reveal()).toBe('sqlite:/srv/app/data/llm-settings.db');
    expect(config).toEqual({
      production: false,
      encryptionKey: null,
      databaseUrl: expect.any(Secret),
      dataDir: '/srv/app/data',
      host: '127.0.0.1',
      allowedHosts: [],
      corsOrigins: [],
      port: 8080,
      probeTimeoutMs: 10_000,
      probeMaxInFlight: 4,
      modelListCacheMaxBytes: 16 * 1024 * 1024,
      proxyMaxBodyBytes: 10 * 1024 * 1024,
      llmTimeoutMs: 600_000,
      proxyBodyTimeoutMs: 30_000,
      proxyMaxInFlight: 256,
      proxyMaxInFlightPerScope: 32,
      proxyAllowedBetas: [],
      historyRetentionDays: 365,
      apiToken: null,
      allowUnauthenticated: false,
      allowUndecryptable: false,
      settingsUi: true,
      metrics: true,
      metricsToken: null,
      tokenSecrets: null,
      identityProvider: null,
      usageFlushMs: 5000,
      usageRetentionDays: 400,
      baseUrls: {},
      providers: expect.any(ProviderRegistry),
      logLevel: 'info',
    });
    expect(loadConfig({}, '/srv/app').providers.enabledIds).toEqual(['anthropic', 'openai']);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        ENCRYPTION_KEY: 'K_8tCbcQerWbAWa83ziAyWgSFH8RjXzzkvRLDel-Yjw=,GNvJxukE3FQrDV_FERxb7MHbZHvgoW6e3hv4gdeHrN0=',
        DATABASE_URL: 'postgres://u:p@db/x',
        HOST: '0.0.0.0',
        ALLOWED_HOSTS: 'settings.example.com, 10.0.0.5:8080,[fd00::1]',
        CORS_ORIGINS: 'https://admin.example.com, http://localhost:5173',
        PORT: '9000',
        PROBE_TIMEOUT_MS: '2500',
        PROBE_MAX_IN_FLIGHT: '16',
        MODEL_LIST_CACHE_MAX_BYTES: '1048576',
        PROXY_MAX_BODY_BYTES: '2048',
        PROXY_TIMEOUT_MS: '30000',
        PROXY_BODY_TIMEOUT_MS: '5000',
        PROXY_MAX_IN_FLIGHT: '64',
        PROXY_MAX_IN_FLIGHT_PER_SCOPE: '8',
        PROXY_ALLOWED_BETAS: 'prompt-caching-2024-07-31, assistants=v2',
        SETTINGS_API_TOKEN: 'a-long-enough-token',
        ALLOW_UNAUTHENTICATED: '1',
        SETTINGS_UI: '0',
        METRICS: '0',
        METRICS_TOKEN: 'a-scraper-only-token',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:1234',
        OPENAI_BASE_URL: 'http://127.0.0.1:1234/v1',
        LOG_LEVEL: 'debug',
      },
      '/srv/app',
      '/srv/app',
    );
    expect(config).toMatchObject({
      encryptionKey: expect.any(Secret),
      databaseUrl: expect.any(Secret),
      dataDir: '/srv/app/data',
      host: '0.0.0.0',
      allowedHosts: ['settings.example.com', '10.0.0.5:8080', '[fd00::1]'],
      corsOrigins: ['https://admin.example.com', 'http://localhost:5173'],
      port: 9000,
      probeTimeoutMs: 2500,
      probeMaxInFlight: 16,
      modelListCacheMaxBytes: 1048576,
      proxyMaxBodyBytes: 2048,
      llmTimeoutMs: 30_000,
      proxyBodyTimeoutMs: 5000,
      proxyMaxInFlight: 64,
      proxyMaxInFlightPerScope: 8,
      proxyAllowedBetas: ['prompt-caching-2024-07-31', 'assistants=v2'],
      apiToken: expect.any(Secret),
      allowUnauthenticated: true,
      settingsUi: false,
      metrics: false,
      metricsToken: expect.any(Secret),
      baseUrls: { anthropic: 'http://127.0.0.1:1234', openai: 'http://127.0.0.1:1234/v1' },
      logLevel: 'debug',
    });
    expect(config.encryptionKey?.reveal()).toBe('K_8tCbcQerWbAWa83ziAyWgSFH8RjXzzkvRLDel-Yjw=,GNvJxukE3FQrDV_FERxb7MHbZHvgoW6e3hv4gdeHrN0=');
    expect(config.apiToken?.reveal()).toBe('a-long-enough-token');
    expect(config.metricsToken?.reveal()).toBe('a-scraper-only-token');
  });

  it('puts the data folder beside the SQLite file', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/llm/settings.db' }).dataDir).toBe('/var/lib/llm');
    expect(loadConfig({ DATABASE_URL: 'sqlite:state/s.db' }, '/srv/app').dataDir).toBe('/srv/app/state');
  });

  it('prints DATABASE_URL with its password as ***, in the URL or its query, and reveals it whole', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:S3cret-pass@db:5432/x?sslmode=require' }, '/srv/app');
    expect(config.databaseUrl.reveal()).toBe('postgres://app:S3cret-pass@db:5432/x?sslmode=require');
    for (const printed of [inspect(config, { depth: Infinity }), JSON.stringify(config), String(config.databaseUrl)]) {
      expect(printed).not.toContain('S3cret-pass');
      expect(printed).toContain('postgres://app:***@db:5432/x?sslmode=require');
    }
    const inQuery = loadConfig({ DATABASE_URL: 'postgres://db/x?user=app&password=S3cret-pass&sslpassword=K3y-pass' }, '/srv/app').databaseUrl;
    expect(String(inQuery)).toBe('postgres://db/x?user=app&password=***&sslpassword=***');
    expect(String(loadConfig({ DATABASE_URL: 'sqlite:/db/s.db' }, '/srv/app').databaseUrl)).toBe('sqlite:/db/s.db');
  });

  it('keeps the query of SETTINGS_JWKS_URL for the verifier, and prints its values as ***', () => {
    const jwksUrl = 'https://idp.example.com/discovery/keys?appid=app-7&token=hunter2pass';
    const config = loadConfig({ SETTINGS_JWKS_URL: jwksUrl, SETTINGS_JWT_ISSUER: 'a', SETTINGS_JWT_AUDIENCE: 'b' }, '/srv/app');
    expect(config.identityProvider?.jwksUrl).toBe(jwksUrl);
    for (const printed of [inspect(config, { depth: Infinity }), inspect(config), JSON.stringify(config)]) {
      expect(printed).not.toContain('hunter2pass');
      expect(printed).toContain('https://idp.example.com/discovery/keys?appid=***&token=***');
      expect(printed).toContain('scopeClaim');
    }
  });

  it('refuses a user name or password in SETTINGS_JWKS_URL, naming the variable and never the value', () => {
    const message = configError({ SETTINGS_JWKS_URL: 'https://u:hunter2pass@idp.example.com/jwks?token=hunter2pass', SETTINGS_JWT_ISSUER: 'a', SETTINGS_JWT_AUDIENCE: 'b' });
    expect(message.split('\n').slice(1)).toEqual(['  - SETTINGS_JWKS_URL must not hold a user name or password']);
    expect(configError({ SETTINGS_JWKS_URL: 'https://hunter2pass@idp.example.com/jwks', SETTINGS_JWT_ISSUER: 'a', SETTINGS_JWT_AUDIENCE: 'b' })).toContain('SETTINGS_JWKS_URL must not hold');
    expect(message).not.toContain('hunter2pass');
  });

  it('puts the default database and key in the project\'s data folder, whatever the working directory', () => {
    expect(loadConfig({}, '/home/someone', '/srv/app')).toMatchObject({ dataDir: '/srv/app/data' });
    expect(loadConfig({}, '/home/someone', '/srv/app').databaseUrl.reveal()).toBe('sqlite:/srv/app/data/llm-settings.db');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db/x' }, '/home/someone', '/srv/app').dataDir).toBe('/srv/app/data');
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/home/someone', '/srv/app').dataDir).toBe('/srv/app/data');
  });

  it('uses LLM_SETTINGS_HOME, relative to the working directory, as the data folder', () => {
    const home = loadConfig({ LLM_SETTINGS_HOME: '/var/lib/llm' }, '/home/someone', '/srv/app');
    expect([home.databaseUrl.reveal(), home.dataDir]).toEqual(['sqlite:/var/lib/llm/llm-settings.db', '/var/lib/llm']);
    expect(loadConfig({ LLM_SETTINGS_HOME: 'state' }, '/home/someone', '/srv/app').dataDir).toBe('/home/someone/state');
    const both = loadConfig({ LLM_SETTINGS_HOME: '/var/lib/llm', DATABASE_URL: 'sqlite:/db/s.db' }, '/home/someone', '/srv/app');
    expect([both.databaseUrl.reveal(), both.dataDir]).toEqual(['sqlite:/db/s.db', '/var/lib/llm']);
  });

  it('reads a relative sqlite: path in DATABASE_URL against the working directory, and makes it absolute', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:state/s.db' }, '/home/someone', '/srv/app').databaseUrl.reveal()).toBe('sqlite:/home/someone/state/s.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite:///var/lib/s.db' }, '/home/someone', '/srv/app').databaseUrl.reveal()).toBe('sqlite:/var/lib/s.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/home/someone', '/srv/app').databaseUrl.reveal()).toBe('sqlite::memory:');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', LLM_SETTINGS_HOME: '', DATABASE_URL: '' }, '/srv/app', '/srv/app')).toMatchObject({ port: 8080, dataDir: '/srv/app/data' });
  });

  it('refuses an empty key or token variable (an unset shell variable) instead of running without it, naming each', () => {
    const message = configError({ ENCRYPTION_KEY: '', SETTINGS_API_TOKEN: '', METRICS_TOKEN: '', SETTINGS_TOKEN_SECRET: '' });
    expect(message.split('\n').slice(1)).toEqual(
      ['ENCRYPTION_KEY', 'SETTINGS_API_TOKEN', 'METRICS_TOKEN', 'SETTINGS_TOKEN_SECRET'].map(
        (name) => `  - ${name} is set but empty (an unset shell variable?): give it a value, or remove it from the environment`,
      ),
    );
  });

  it('reads NODE_ENV=production however it is cased or padded, so ENCRYPTION_KEY stays required', () => {
    for (const value of ['Production', 'PRODUCTION', 'production ', ' production']) {
      expect(configError({ NODE_ENV: value }), JSON.stringify(value)).toContain('ENCRYPTION_KEY is required when NODE_ENV=production');
    }
    const key = 'K_8tCbcQerWbAWa83ziAyWgSFH8RjXzzkvRLDel-Yjw=';
    expect(loadConfig({ NODE_ENV: 'Production ', ENCRYPTION_KEY: key }, '/srv/app').production).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }, '/srv/app').production).toBe(false);
  });

  it('reports the production key, the invalid variables and, for serve, an exposed API without a token, in one refusal', () => {
    const env = { NODE_ENV: 'production', PORT: 'eighty', HOST: '0.0.0.0' };
    const refusal = (serving: boolean) => {
      try {
        loadConfig(env, '/srv/app', '/srv/app', { serving });
      } catch (error) {
        return (error as Error).message.split('\n').slice(1);
      }
      throw new Error('expected a configuration error');
    };
    const lines = [
      '  - PORT must be an integer from 0 to 65535',
      '  - ENCRYPTION_KEY is required when NODE_ENV=production (generate one with `npx llm-settings generate-key` (in a clone of llm-settings: `npm run llm-settings -- generate-key`))',
    ];
    expect(refusal(false)).toEqual(lines);
    expect(refusal(true)).toEqual([
      ...lines,
      '  - Refusing to serve on a non-loopback HOST without SETTINGS_API_TOKEN: set a token, or ALLOW_UNAUTHENTICATED=1 if a proxy in front authenticates requests',
    ]);
    const exposed = { ALLOWED_HOSTS: 'settings.example.com' };
    expect(() => loadConfig(exposed, '/srv/app', '/srv/app', { serving: true })).toThrow(/non-loopback name of ALLOWED_HOSTS without SETTINGS_API_TOKEN/);
    for (const allowed of [{ SETTINGS_API_TOKEN: 'a-long-enough-token' }, { ALLOW_UNAUTHENTICATED: '1' }]) {
      expect(() => loadConfig({ ...exposed, HOST: '0.0.0.0', ...allowed }, '/srv/app', '/srv/app', { serving: true })).not.toThrow();
    }
  });

  it('refuses a blank or space-padded LLM_SETTINGS_HOME or sqlite: path, an sqlite: URL without a path, and a folder as the SQLite file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'llm-config-'));
    try {
      for (const home of [' ', ' /var/lib/llm', 'state ']) {
        expect(configError({ LLM_SETTINGS_HOME: home }).split('\n').slice(1), JSON.stringify(home)).toEqual([
          '  - LLM_SETTINGS_HOME must be a folder path without leading or trailing whitespace',
        ]);
      }
      const cases: [string, string][] = [
        ['sqlite:', 'DATABASE_URL must name the SQLite file after sqlite: (sqlite:<path>, or sqlite::memory:)'],
        ['sqlite: ', 'DATABASE_URL must name the SQLite file after sqlite: (sqlite:<path>, or sqlite::memory:)'],
        ['sqlite:///', 'DATABASE_URL must name an SQLite file, not a folder'],
        ['sqlite:/var/lib/llm.db ', 'DATABASE_URL must name the SQLite file without leading or trailing whitespace'],
        ['sqlite:/tmp/rn/parent/dbdir/', 'DATABASE_URL must name an SQLite file, not a folder'],
        ['sqlite:state/..', 'DATABASE_URL must name an SQLite file, not a folder'],
        [`sqlite:${folder}`, 'DATABASE_URL must name an SQLite file, not a folder'],
      ];
      for (const [url, line] of cases) expect(configError({ DATABASE_URL: url }).split('\n').slice(1), url).toEqual([`  - ${line}`]);
      expect(loadConfig({ DATABASE_URL: `sqlite:${join(folder, 's.db')}` }).dataDir).toBe(folder);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports every problem, one line each, without echoing values', () => {
    const message = configError({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      SETTINGS_API_TOKEN: 'short-secret',
      LOG_LEVEL: 'loud',
      OPENAI_BASE_URL: 'ftp://files',
      PROBE_MAX_IN_FLIGHT: '0',
      SETTINGS_JWKS_URL: 'https://id.example.test/jwks.json',
    });
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([
      '  - DATABASE_URL must start with sqlite:, postgres:// or postgresql://',
      '  - PORT must be an integer from 0 to 65535',
      '  - PROBE_MAX_IN_FLIGHT must be an integer from 1 to 1000',
      '  - SETTINGS_API_TOKEN must be 16 to 1024 printable ASCII characters without whitespace',
      '  - OPENAI_BASE_URL must be an http(s) URL',
      '  - LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent',
      '  - SETTINGS_JWT_ISSUER and SETTINGS_JWT_AUDIENCE must be set too: an identity provider needs SETTINGS_JWKS_URL, SETTINGS_JWT_ISSUER, SETTINGS_JWT_AUDIENCE',
    ]);
    for (const secret of ['hunter2', 'short-secret', 'eighty', 'ftp://files']) expect(message).not.toContain(secret);
  });

  it('reads integers written in decimal digits only: a blank, hex, an exponent or a sign is refused, not read as another number', () => {
    expect(loadConfig({ PORT: '8081', PROBE_MAX_IN_FLIGHT: '007' }, '/tmp', '/tmp')).toMatchObject({ port: 8081, probeMaxInFlight: 7 });
    for (const value of [' ', '0x1F90', '1e3', '+80', '-1', '80.0', ' 80']) {
      expect(configError({ PORT: value }).split('\n').slice(1), JSON.stringify(value)).toEqual(['  - PORT must be an integer from 0 to 65535']);
    }
    expect(configError({ MODEL_LIST_CACHE_MAX_BYTES: ' ' })).toContain('MODEL_LIST_CACHE_MAX_BYTES must be an integer');
  });

  it('reports the unusable entries of ALLOWED_HOSTS by position on one line, never their values', () => {
    const message = configError({ ALLOWED_HOSTS: 'ok.example,http://secret-one.example/,ok.example:8443,secret two,,[::1]:99999' });
    expect(message.split('\n').slice(1)).toEqual([
      '  - ALLOWED_HOSTS entries 2, 4, 5, 6 must each be a hostname or IP address, optionally with :port (IPv6 in brackets)',
    ]);
    for (const value of ['secret-one', 'secret two', '99999']) expect(message).not.toContain(value);
    expect(configError({ ALLOWED_HOSTS: 'a.example,user@b.example' })).toContain(
      'ALLOWED_HOSTS entry 2 must be a hostname or IP address, optionally with :port (IPv6 in brackets)',
    );
  });

  it('reports the unusable entries of CORS_ORIGINS by position on one line, never their values', () => {
    const message = configError({ CORS_ORIGINS: 'https://ok.example,*,https://secret-one.example/path,null,https://ok.example:8443' });
    expect(message.split('\n').slice(1)).toEqual([
      '  - CORS_ORIGINS entries 2, 3, 4 must each be an http(s) origin such as https://app.example.com (scheme, host and optional port only)',
    ]);
    expect(message).not.toContain('secret-one');
  });

  it('reports each unusable pass-through limit on its own line, and the unusable PROXY_ALLOWED_BETAS entries by position, never their values', () => {
    const message = configError({
      PROXY_BODY_TIMEOUT_MS: '10',
      PROXY_MAX_IN_FLIGHT: 'many',
      PROXY_MAX_IN_FLIGHT_PER_SCOPE: '0',
      PROXY_ALLOWED_BETAS: 'prompt-caching-2024-07-31,secret beta,,web fetch',
    });
    expect(message.split('\n').slice(1)).toEqual([
      '  - PROXY_BODY_TIMEOUT_MS must be an integer from 1000 to 300000',
      '  - PROXY_MAX_IN_FLIGHT must be an integer from 1 to 100000',
      '  - PROXY_MAX_IN_FLIGHT_PER_SCOPE must be an integer from 1 to 100000',
      '  - PROXY_ALLOWED_BETAS entries 2, 3, 4 must each be a beta name: letters, digits, ., _, = and -',
    ]);
    for (const value of ['many', 'secret beta', 'web fetch']) expect(message).not.toContain(value);
  });

  it('refuses a HOST that is neither a hostname nor an IP address, without echoing it', () => {
    const message = configError({ HOST: 'secret host:80' });
    expect(message).toContain('HOST must be a hostname or IP address');
    expect(message).not.toContain('secret host');
    for (const host of ['::', '::1', 'fd00::1', 'my-host', 'llm_settings', '10.0.0.5']) expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it('starts with undecryptable stored values only when ALLOW_UNDECRYPTABLE is 1 or true', () => {
    for (const value of ['1', 'true']) expect(loadConfig({ ALLOW_UNDECRYPTABLE: value }).allowUndecryptable).toBe(true);
    for (const value of ['0', 'false', '']) expect(loadConfig({ ALLOW_UNDECRYPTABLE: value }).allowUndecryptable).toBe(false);
    expect(configError({ ALLOW_UNDECRYPTABLE: 'yes' })).toContain('ALLOW_UNDECRYPTABLE must be 1 or 0');
  });

  it('serves the settings page unless SETTINGS_UI is 0 or false', () => {
    for (const value of ['1', 'true', '']) expect(loadConfig({ SETTINGS_UI: value }).settingsUi).toBe(true);
    for (const value of ['0', 'false']) expect(loadConfig({ SETTINGS_UI: value }).settingsUi).toBe(false);
    expect(configError({ SETTINGS_UI: 'off' })).toContain('SETTINGS_UI must be 1 or 0');
  });

  it('serves /metrics unless METRICS is 0 or false, and takes a METRICS_TOKEN only when it is usable, never naming its value', () => {
    for (const value of ['1', 'true', '']) expect(loadConfig({ METRICS: value }).metrics).toBe(true);
    for (const value of ['0', 'false']) expect(loadConfig({ METRICS: value }).metrics).toBe(false);
    expect(configError({ METRICS: 'off' })).toContain('METRICS must be 1 or 0');
    const message = configError({ METRICS_TOKEN: 'short-tok' });
    expect(message).toContain('METRICS_TOKEN must be 16 to 1024 printable ASCII characters');
    expect(message).not.toContain('short-tok');
  });

  it('reads USAGE_FLUSH_MS and USAGE_RETENTION_DAYS, and refuses values out of their ranges without echoing them', () => {
    expect(loadConfig({ USAGE_FLUSH_MS: '250', USAGE_RETENTION_DAYS: '30' }, '/srv/app')).toMatchObject({ usageFlushMs: 250, usageRetentionDays: 30 });
    const message = configError({ USAGE_FLUSH_MS: '99', USAGE_RETENTION_DAYS: '0.5' });
    expect(message.split('\n').slice(1)).toEqual([
      '  - USAGE_FLUSH_MS must be an integer from 100 to 3600000',
      '  - USAGE_RETENTION_DAYS must be an integer from 1 to 36500',
    ]);
  });

  it('requires ENCRYPTION_KEY in production', () => {
    expect(configError({ NODE_ENV: 'production' })).toContain('ENCRYPTION_KEY is required when NODE_ENV=production');
  });
});

describe('unknownVariables', () => {
  const providers = loadConfig({}, '/srv/app').providers;

  it("names the variables with the server's prefixes that it does not know, in any case, each with the known name it most likely misspells", () => {
    const env = {
      SETTINGS_API_TOKN: 'a-long-enough-token',
      settings_ui: '0',
      PROXY_MAX_INFLIGHT: '3',
      ENCRYPTION_KEYS: 'k',
      METRICS_TOKEN_FILE: '/run/secret',
      LLM_PROVIDER: 'openai',
      LLM_SETTINGS_HOME: '/var/lib/llm',
    };
    expect(unknownVariables(env, providers)).toEqual([
      { name: 'ENCRYPTION_KEYS', closest: 'ENCRYPTION_KEY' },
      { name: 'LLM_PROVIDER', closest: 'LLM_PROVIDERS' },
      { name: 'METRICS_TOKEN_FILE', closest: null },
      { name: 'PROXY_MAX_INFLIGHT', closest: 'PROXY_MAX_IN_FLIGHT' },
      { name: 'SETTINGS_API_TOKN', closest: 'SETTINGS_API_TOKEN' },
      { name: 'settings_ui', closest: 'SETTINGS_UI' },
    ]);
    expect(JSON.stringify(unknownVariables(env, providers))).not.toContain('a-long-enough-token');
  });

  it("leaves alone the server's own variables and other software's, whose prefixes the server shares", () => {
    const env = {
      LLM_MODEL: 'gpt-4o',
      LLM_API_KEY: 'k',
      ANTHROPIC_API_KEY: 'k',
      OPENROUTER_BASE_URL: 'https://openrouter.ai/api/v1',
      HOSTNAME: 'box',
      NODE_OPTIONS: '',
      DATABASE_HOST: 'db',
      SETTINGS_API_TOKEN: 'a-long-enough-token',
      METRICS: '0',
      LLM_PROVIDERS_FILE: 'providers.json',
      HISTORY_RETENTION_DAYS: '30',
    };
    expect(unknownVariables(env, providers)).toEqual([]);
  });
});

describe('allowedHostsFor', () => {
  const base = loadConfig({}, '/srv/app');

  it('accepts HOST as clients name it, plus ALLOWED_HOSTS', () => {
    expect(allowedHostsFor(base)).toEqual(['127.0.0.1']);
    expect(allowedHostsFor({ ...base, host: 'settings.internal', allowedHosts: ['proxy.example:443'] })).toEqual(['settings.internal', 'proxy.example:443']);
    expect(allowedHostsFor({ ...base, host: 'fd00::1' })).toEqual(['[fd00::1]']);
  });

  it('leaves out a HOST no client names in Host: a wildcard, or an IPv6 address with a zone', () => {
    for (const host of ['0.0.0.0', '::', 'fe80::1%eth0']) expect(allowedHostsFor({ ...base, host, allowedHosts: ['settings.example.com'] })).toEqual(['settings.example.com']);
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
    expect(() => assertSafeToServe({ ...base, host: '0.0.0.0', apiToken: new Secret('x'.repeat(16)) })).not.toThrow();
    expect(() => assertSafeToServe({ ...base, host: '0.0.0.0', allowUnauthenticated: true })).not.toThrow();
    expect(() => assertSafeToServe(base)).not.toThrow();
  });

  it('refuses a non-loopback name in ALLOWED_HOSTS without a token, as a proxy in front exposes the API under it', () => {
    for (const name of ['settings.example.com', '10.0.0.5:8080', '[fd00::1]']) {
      expect(() => assertSafeToServe({ ...base, allowedHosts: ['localhost', name] }), name).toThrow(/non-loopback name of ALLOWED_HOSTS without SETTINGS_API_TOKEN/);
      expect(() => assertSafeToServe({ ...base, allowedHosts: [name], apiToken: new Secret('x'.repeat(16)) })).not.toThrow();
      expect(() => assertSafeToServe({ ...base, allowedHosts: [name], allowUnauthenticated: true })).not.toThrow();
    }
    expect(() => assertSafeToServe({ ...base, allowedHosts: ['localhost:8080', '127.0.0.2', '[::1]:80'] })).not.toThrow();
  });
});
