import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Console } from 'node:console';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret, silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { loadConfig } from '../src/config.js';
import { createLlmSettings, wireLlmSettings } from '../src/create-llm-settings.js';
import { serve } from '../src/serve.js';
import { TOKENS } from '../src/tokens.js';
import { keyRunFinder } from './support/leaks.js';

/*
 * The Fernet keys open every stored provider key and the API token opens the API: printing
 * the configuration, the wired service or an error must show neither, in any form.
 */

const KEY_A = generateFernetKey();
const KEY_B = generateFernetKey();
const API_TOKEN = `tok_${generateFernetKey().slice(0, 40)}`;
const findMasterKey = keyRunFinder([KEY_A, KEY_B, API_TOKEN]);

/** What console.log would print for the value. */
function consoleLogged(value: unknown): string {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  new Console({ stdout: stream, stderr: stream }).log(value);
  return text;
}

/** Every printed form of the value: util.inspect at full depth, console.log and JSON. */
function printed(value: unknown): string {
  return [inspect(value, { depth: Infinity, showHidden: true }), consoleLogged(value), JSON.stringify(value)].join('\n');
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-master-keys-'));
  dirs.push(dir);
  return dir;
}

const ENV = { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: `${KEY_A},${KEY_B}`, SETTINGS_API_TOKEN: API_TOKEN };

describe('the configuration holds the master keys and the API token as secrets', () => {
  it('loadConfig: printing the configuration shows no key and no token, reveal() gives them', () => {
    const config = loadConfig(ENV);
    expect(findMasterKey(printed(config))).toBeUndefined();
    expect(config.encryptionKey?.reveal()).toBe(`${KEY_A},${KEY_B}`);
    expect(config.apiToken?.reveal()).toBe(API_TOKEN);
  });

  it('createLlmSettings: printing the settings or their config shows no key and no token', async () => {
    const settings = await createLlmSettings({ env: ENV, logger: silentLogger });
    try {
      expect(findMasterKey(inspect(settings, { depth: Infinity }))).toBeUndefined();
      expect(findMasterKey(consoleLogged(settings))).toBeUndefined();
      expect(findMasterKey(printed(settings.config))).toBeUndefined();
      expect(settings.config.encryptionKeys).toBeInstanceOf(Secret);
    } finally {
      await settings.close();
    }
  });

  it('the container binds a configuration that prints no key and no token', async () => {
    const { settings, container } = await wireLlmSettings({ env: ENV, logger: silentLogger });
    try {
      expect(findMasterKey(printed(container.get(TOKENS.Config)))).toBeUndefined();
    } finally {
      await settings.close();
    }
  });

  it('a key read from the generated key file prints as its mask too', async () => {
    const dir = tempDir();
    const settings = await createLlmSettings({ env: { DATABASE_URL: `sqlite:${join(dir, 'settings.db')}` }, logger: silentLogger });
    try {
      const fromFile = keyRunFinder([readFileSync(join(dir, 'encryption.key'), 'utf8').trim()]);
      expect(fromFile(printed(settings.config))).toBeUndefined();
      expect(fromFile(inspect(settings, { depth: Infinity }))).toBeUndefined();
    } finally {
      await settings.close();
    }
  });

  it('serve: the running server, its settings and its app print no key and no token', async () => {
    const running = await serve({ env: { ...ENV, PORT: '0' }, logger: silentLogger });
    try {
      expect(findMasterKey(inspect(running, { depth: Infinity }))).toBeUndefined();
      expect(findMasterKey(printed(running.settings.config))).toBeUndefined();
      // The token still guards the API.
      expect((await fetch(`${running.url}/api/settings/llm`)).status).toBe(401);
      expect((await fetch(`${running.url}/api/settings/llm`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe('errors about unusable keys name no key', () => {
  const BAD_KEY = `${KEY_B.slice(0, 30)}!!!!`;
  const findBad = keyRunFinder([KEY_A, BAD_KEY]);

  async function thrown(run: () => Promise<unknown>): Promise<unknown> {
    return run().then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );
  }

  it('an invalid ENCRYPTION_KEY entry beside a good one', async () => {
    const error = await thrown(() => createLlmSettings({ env: { ...ENV, ENCRYPTION_KEY: `${KEY_A},${BAD_KEY}` }, logger: silentLogger }));
    expect((error as Error).message).toMatch(/ENCRYPTION_KEY is invalid: Fernet key 2 of 2/);
    expect(findBad(printed(error))).toBeUndefined();
  });

  it('an invalid key in a configuration passed in', async () => {
    const config = { ...loadConfig(ENV), encryptionKey: new Secret(`${KEY_A},${BAD_KEY}`) };
    const error = await thrown(() => createLlmSettings({ config, logger: silentLogger }));
    expect((error as Error).message).toMatch(/Fernet key 2 of 2/);
    expect(findBad(printed(error))).toBeUndefined();
  });

  it('an invalid key in the key file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
    writeFileSync(join(dir, 'data', 'encryption.key'), `${BAD_KEY}\n`, { mode: 0o600 });
    const error = await thrown(() => createLlmSettings({ env: { DATABASE_URL: `sqlite:${join(dir, 'data', 's.db')}` }, logger: silentLogger }));
    expect((error as Error).message).toMatch(/Fernet key 1 of 1/);
    expect(findBad(printed(error))).toBeUndefined();
  });

  it('an unusable API token in a configuration passed in', async () => {
    const shortToken = 'tok_short_9Zq';
    const config = { ...loadConfig({ ...ENV, PORT: '0' }), apiToken: new Secret(shortToken) };
    const error = await thrown(() => serve({ config, logger: silentLogger }));
    expect((error as Error).message).toMatch(/apiToken must be/);
    expect(printed(error)).not.toContain(shortToken);
  });
});
