import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, Secret, silentLogger } from '@llm-settings/core';
import { createJoseTokenVerifier } from '@llm-settings/auth-jose';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { loadConfig } from '../src/config.js';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { configError } from './support/config-error.js';
import { CLI, assertBuilt } from './support/processes.js';

const execFileAsync = promisify(execFile);
const SECRET = 'scoped-token-secret-of-some-forty-chars-1';
const OLDER = 'scoped-token-secret-of-some-forty-chars-2';

/** The CLI with only the variables given (and PATH), its stdout and stderr apart. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('node', [CLI, ...args], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'sqlite::memory:', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const verifierOf = (secrets: string) => createJoseTokenVerifier({ secrets });

describe('llm-settings mint-token', () => {
  beforeAll(() => assertBuilt());

  it('prints a token and nothing else, which the second secret of a rotation does not sign and the first does', async () => {
    const { code, stdout, stderr } = await cli(['mint-token', '--scope', 'tenant-1', '--can', 'read,use', '--ttl', '120'], { SETTINGS_TOKEN_SECRET: `${SECRET},${OLDER}` });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(await verifierOf(SECRET).verify(new Secret(stdout.trim()))).toMatchObject({ scope: 'tenant-1', can: ['read', 'use'], token: { kind: 'minted' } });
    expect(await verifierOf(OLDER).verify(new Secret(stdout.trim()))).toBeNull();
  });

  it('refuses to run without SETTINGS_TOKEN_SECRET, saying which variable to set', async () => {
    const { code, stdout, stderr } = await cli(['mint-token', '--scope', 'tenant-1', '--can', 'read', '--ttl', '60'], {});
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('needs SETTINGS_TOKEN_SECRET');
  });

  it('names an unknown permission of --can, and prints no token', async () => {
    const { code, stdout, stderr } = await cli(['mint-token', '--scope', 'tenant-1', '--can', 'read,delete', '--ttl', '60'], { SETTINGS_TOKEN_SECRET: SECRET });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('permission 2 is unknown');
    expect(stderr).toContain('read, write, test, models, use');
  });

  it('refuses a short SETTINGS_TOKEN_SECRET without echoing it', async () => {
    const short = 'too-short-token-secret';
    const { code, stderr } = await cli(['mint-token', '--scope', 'tenant-1', '--can', 'read', '--ttl', '60'], { SETTINGS_TOKEN_SECRET: short });
    expect(code).toBe(1);
    expect(stderr).toContain('SETTINGS_TOKEN_SECRET is invalid');
    expect(stderr).not.toContain(short);
  });

  it('asks for --scope, --can and --ttl with exit code 2, and refuses an unknown option', async () => {
    for (const args of [['--scope', 't'], ['--scope', 't', '--can', 'read'], ['--scope', 't', '--can', 'read', '--ttl', '60', '--admin']]) {
      const { code, stdout, stderr } = await cli(['mint-token', ...args], { SETTINGS_TOKEN_SECRET: SECRET });
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('mint-token needs --scope <scope> --can <permissions> --ttl <seconds>, each once (and nothing else)');
    }
  });

  it('is listed in --help', async () => {
    expect((await cli(['--help'], {})).stdout).toContain('mint-token --scope <scope> --can <permissions> --ttl <seconds>');
  });
});

describe('createLlmSettings().mintToken', () => {
  const settingsWith = (env: Record<string, string>) =>
    createLlmSettings({ env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), ...env }, logger: silentLogger });

  it('mints a token for the scope, permissions and lifetime asked for', async () => {
    const settings = await settingsWith({ SETTINGS_TOKEN_SECRET: SECRET });
    try {
      const token = await settings.mintToken({ scope: 'tenant-2', can: ['models'], ttlSeconds: 60 });
      expect(await verifierOf(SECRET).verify(new Secret(token))).toMatchObject({ scope: 'tenant-2', can: ['models'] });
      await expect(settings.mintToken({ scope: 'tenant-2', can: ['root' as never], ttlSeconds: 60 })).rejects.toMatchObject({ code: ErrorCodes.VALIDATION_INVALID_INPUT });
    } finally {
      await settings.close();
    }
  });

  it('rejects with a ConfigError when SETTINGS_TOKEN_SECRET is unset', async () => {
    const settings = await settingsWith({});
    try {
      await expect(settings.mintToken({ scope: 'tenant-2', can: ['read'], ttlSeconds: 60 })).rejects.toMatchObject({ code: ErrorCodes.CONFIG_INVALID });
    } finally {
      await settings.close();
    }
  });
});

describe('loadConfig of scoped tokens', () => {
  it('has no token secrets and no identity provider by default', () => {
    expect(loadConfig({}, '/srv/app')).toMatchObject({ tokenSecrets: null, identityProvider: null });
  });

  it('reads SETTINGS_TOKEN_SECRET as a Secret that prints as its mask', () => {
    const { tokenSecrets } = loadConfig({ SETTINGS_TOKEN_SECRET: `${SECRET},${OLDER}` }, '/srv/app');
    expect(tokenSecrets?.reveal()).toBe(`${SECRET},${OLDER}`);
    expect(JSON.stringify(tokenSecrets)).not.toContain(SECRET.slice(0, 10));
  });

  it('names a short entry of SETTINGS_TOKEN_SECRET by position, never its value', () => {
    const message = configError({ SETTINGS_TOKEN_SECRET: `${SECRET},short-one` });
    expect(message).toContain('SETTINGS_TOKEN_SECRET is invalid');
    expect(message).toContain('entry 2');
    expect(message).not.toContain('short-one');
  });

  it('reads the identity provider with its defaults', () => {
    const env = { SETTINGS_JWKS_URL: 'https://id.example.test/jwks.json', SETTINGS_JWT_ISSUER: 'https://id.example.test/', SETTINGS_JWT_AUDIENCE: 'llm-settings' };
    expect(loadConfig(env, '/srv/app').identityProvider).toEqual({
      jwksUrl: 'https://id.example.test/jwks.json',
      issuer: 'https://id.example.test/',
      audience: 'llm-settings',
      scopePrefix: '',
      scopeClaim: 'sub',
    });
    expect(loadConfig({ ...env, SETTINGS_JWT_SCOPE_PREFIX: 'tenant:', SETTINGS_JWT_SCOPE_CLAIM: 'org_id' }, '/srv/app').identityProvider).toMatchObject({
      scopePrefix: 'tenant:',
      scopeClaim: 'org_id',
    });
  });

  it('refuses plain http to a non-loopback key set, and a key set without its issuer and audience', () => {
    expect(configError({ SETTINGS_JWKS_URL: 'http://id.example.test/jwks.json', SETTINGS_JWT_ISSUER: 'i', SETTINGS_JWT_AUDIENCE: 'a' })).toContain('SETTINGS_JWKS_URL must be an https URL');
    expect(configError({ SETTINGS_JWKS_URL: 'https://id.example.test/jwks.json' })).toContain('SETTINGS_JWT_ISSUER and SETTINGS_JWT_AUDIENCE must be set too');
    expect(configError({ SETTINGS_JWT_AUDIENCE: 'a' })).toContain('SETTINGS_JWKS_URL and SETTINGS_JWT_ISSUER must be set too');
    expect(loadConfig({ SETTINGS_JWKS_URL: 'http://127.0.0.1:9000/jwks.json', SETTINGS_JWT_ISSUER: 'i', SETTINGS_JWT_AUDIENCE: 'a' }, '/srv/app').identityProvider).not.toBeNull();
  });
});
