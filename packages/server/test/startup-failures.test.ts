import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, assertBuilt, freePort, run, start, waitForOk } from './support/processes.js';
import { expectStopsOnSignal, killGroup } from './support/signals.js';

const KEY = 'itGOlPGAtSXqCepE4blJoAerj_uedyIsaYEDqyW_F6M=';
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-startup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('start-up failures name the cause and the fix', () => {
  it('a port already in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, output } = await run('node', [CLI, 'serve'], { PORT: String(port), ENCRYPTION_KEY: KEY, DATABASE_URL: `sqlite:${join(dir, 'p', 's.db')}` });
      expect(code).toBe(1);
      expect(output).toContain(`llm-settings: 127.0.0.1:${port} is already in use; stop the other server or choose another port with PORT=`);
    } finally {
      blocker.close();
    }
  });

  it('an unreachable PostgreSQL, naming host and port and never the credentials', async () => {
    const { code, output } = await run('node', [CLI, 'serve'], { PORT: '0', ENCRYPTION_KEY: KEY, DATABASE_URL: 'postgres://someone:hunter2-secret@127.0.0.1:1/db' });
    expect(code).toBe(1);
    expect(output).toContain('llm-settings: cannot reach PostgreSQL at 127.0.0.1:1;');
    expect(output).not.toContain('hunter2-secret');
    expect(output).not.toContain('someone');
  });

  it('a PostgreSQL login refused for a user that does not exist, saying so without the credentials', async () => {
    const { code, output } = await run('node', [CLI, 'serve'], { PORT: '0', ENCRYPTION_KEY: KEY, DATABASE_URL: 'postgres://llm_no_such_role:hunter2-secret@127.0.0.1:5432/test' });
    expect(code).toBe(1);
    const message = output.split('\n').find((line) => line.startsWith('llm-settings: '));
    expect(message).toBe('llm-settings: PostgreSQL refused the login: the user in the database URL does not exist. Create the role, or correct the URL.');
    expect(output).not.toContain('hunter2-secret');
  });

  it('a data folder that cannot be created', async () => {
    const { code, output } = await run('node', [CLI, 'serve'], { PORT: '0', DATABASE_URL: `sqlite:${join(CLI, 'data', 's.db')}` });
    expect(code).toBe(1);
    expect(output).toContain(`llm-settings: Cannot create the folder ${join(CLI, 'data')}`);
  });

  it('every invalid variable at once, one line each, ENCRYPTION_KEY pointing to generate-key, no value echoed', async () => {
    const { code, output } = await run('node', [CLI, 'serve'], { ENCRYPTION_KEY: 'not-a-key-VALUE', PORT: 'port-VALUE', LOG_LEVEL: 'level-VALUE' });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines[0]).toBe('llm-settings: Invalid configuration:');
    expect(lines).toHaveLength(4);
    for (const name of ['ENCRYPTION_KEY', 'PORT', 'LOG_LEVEL']) expect(lines.filter((l) => l.startsWith(`  - ${name} `))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('  - ENCRYPTION_KEY'))).toContain('`npm run llm-settings -- generate-key`');
    expect(output).not.toContain('VALUE');
  });
});

// The README starts the server with `npm start`; contributors and process managers also use
// `pnpm start`. Either way the signal goes to the package manager's pid, not to node's.
for (const launcher of ['npm', 'pnpm'] as const) {
  describe(`"${launcher} start" stops on a signal sent to ${launcher}`, () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal}: ${launcher} exits 0, the server is gone and the port refuses connections`, async () => {
        const port = await freePort();
        const database = `sqlite:${join(dir, launcher, signal, 's.db')}`;
        const manager = start(launcher, ['start'], { PORT: String(port), ENCRYPTION_KEY: KEY, DATABASE_URL: database });
        try {
          await waitForOk(`http://127.0.0.1:${port}/healthz`);
          await expectStopsOnSignal(manager, signal, port);
        } finally {
          killGroup(manager); // whatever is left of the tree, should the test fail
        }
      }, 30_000);
    }
  });
}
