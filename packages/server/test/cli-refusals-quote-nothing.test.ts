import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { CLI, assertBuilt, run } from './support/processes.js';

/** A key pasted into the wrong option: the refusal must not print it back. */
const PASTED = 'sk-proj-PASTED-INTO-AN-OPTION-0123456789abcdef';
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-cli-refusals-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI refusals name the option, never what was passed', () => {
  it('mint-token --can with a key among the permissions names its position', async () => {
    const { code, output } = await run('node', [CLI, 'mint-token', '--scope', 'tenant-1', '--can', `read,${PASTED}`, '--ttl', '60'], {
      SETTINGS_TOKEN_SECRET: 'scoped-token-secret-of-some-forty-chars-1',
    });
    expect(code).toBe(1);
    expect(output.trim()).toBe('llm-settings: Invalid permissions: permission 2 is unknown; each must be one of read, write, test, models, use');
  });

  it('llm-settings confirm-endpoint --provider with a key refuses it as unknown', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 's.db')}`, ENCRYPTION_KEY: generateFernetKey() };
    expect((await run('node', [CLI, 'migrate'], env)).code).toBe(0);
    const { code, output } = await run('node', [CLI, 'confirm-endpoint', '--provider', PASTED], env);
    expect(code).toBe(1);
    expect(output).toContain('llm-settings: the provider to confirm is unknown');
    expect(output).not.toContain('PASTED');
  });
});
