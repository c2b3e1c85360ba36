import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { createMemorySettingsStore } from '@llm-settings/core/testing';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createKnexSettingsStore } from '@llm-settings/storage-knex';
import { wireLlmSettings } from '../src/create-llm-settings.js';
import { httpModule } from '../src/modules.js';
import { TOKENS } from '../src/tokens.js';

const KEY = 'sk-proj-REBOUND-SECRET-0123456789';

describe('the container', () => {
  it('serves the HTTP API over an adapter rebound in a test container', async () => {
    const memoryStore = createMemorySettingsStore();
    const rebound = new ContainerModule(({ rebind }) => {
      rebind(TOKENS.Store).toConstantValue(memoryStore);
    });
    const { settings, container } = await wireLlmSettings(
      { env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey() }, logger: silentLogger },
      [httpModule, rebound],
    );
    const server = (await container.getAsync(TOKENS.HttpApp)).listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/settings/llm`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'llm-settings-scope': 'tenant-1' },
        body: JSON.stringify({ provider: 'openai', api_key: KEY }),
      });
      expect(response.status).toBe(200);

      const stored = await memoryStore.get('llm_config:tenant-1');
      expect(stored).not.toBeNull();
      expect(JSON.parse(await settings.cipher.decrypt(stored!.value))).toMatchObject({ api_key: KEY, scope: 'tenant-1' });
      // The database the configuration names got nothing.
      const inDatabase: string[] = [];
      for await (const record of createKnexSettingsStore(container.get(TOKENS.Knex)).list()) inDatabase.push(record.key);
      expect(inDatabase).toEqual([]);
    } finally {
      server.close();
      await settings.close();
    }
  });

  it.each([
    [undefined, true],
    [false, false],
  ])('with pruning %s, the history is pruned in the background: %s (the CLI turns it off)', async (pruning, prunes) => {
    const memoryStore = createMemorySettingsStore();
    let pruneCalls = 0;
    const counted = { ...memoryStore, pruneHistory: async (cutoff: Date) => (pruneCalls++, memoryStore.pruneHistory(cutoff)) };
    const rebound = new ContainerModule(({ rebind }) => {
      rebind(TOKENS.Store).toConstantValue(counted);
    });
    const { settings } = await wireLlmSettings(
      { env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey() }, logger: silentLogger, ...(pruning === undefined ? {} : { pruning }) },
      [rebound],
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pruneCalls > 0).toBe(prunes);
    } finally {
      await settings.close();
    }
  });
});
