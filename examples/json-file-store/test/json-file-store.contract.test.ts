import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommitGate, describeSettingsStoreContract } from '@llm-settings/contract-tests';
import { afterAll } from 'vitest';
import { createJsonFileStore } from '../src/json-file-store.js';

const dir = mkdtempSync(join(tmpdir(), 'json-file-store-'));
const path = join(dir, 'settings.json');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Holds a write of the stores under test just before the rename that makes it durable. */
const commits = createCommitGate();

describeSettingsStoreContract({
  name: 'JSON file store (example third-party adapter)',
  create: () => createJsonFileStore({ path, beforeReplace: commits.pass }),
  // The store's own method: the options are typed by what `create` returns.
  reset: (store) => store.clearForTests(),
  rawValue: async (key) => {
    const file = JSON.parse(readFileSync(path, 'utf8')) as { records: Record<string, { value: string }> };
    return file.records[key]?.value ?? null;
  },
  openSecondInstance: () => createJsonFileStore({ path }),
  holdNextCommit: () => commits.holdNext(),
  // A folder that does not exist: reads find an empty store, writes cannot happen.
  createUnavailable: () => ({ store: createJsonFileStore({ path: join(dir, 'missing', 'settings.json') }), neverMention: [dir] }),
});
