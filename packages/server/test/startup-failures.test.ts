import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createDatabase, describeEachDatabase, POSTGRES_ADMIN_URL, POSTGRES_SKIPPED } from './support/databases.js';
import { keyRunFinder } from './support/leaks.js';
import { CLI, REPO_ROOT, assertBuilt, freePort, run, start, waitForOk } from './support/processes.js';
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

  it.skipIf(POSTGRES_SKIPPED !== undefined)(`a PostgreSQL login refused for a user that does not exist, saying so without the credentials${POSTGRES_SKIPPED ? ` (skipped: ${POSTGRES_SKIPPED})` : ''}`, async () => {
    const noSuchRole = Object.assign(new URL(POSTGRES_ADMIN_URL), { username: 'llm_no_such_role', password: 'hunter2-secret' }).toString();
    const { code, output } = await run('node', [CLI, 'serve'], { PORT: '0', ENCRYPTION_KEY: KEY, DATABASE_URL: noSuchRole });
    expect(code).toBe(1);
    const message = output.split('\n').find((line) => line.startsWith('llm-settings: '));
    expect(message).toBe('llm-settings: PostgreSQL refused the login: the user in the database URL does not exist. Create the role, or correct the URL.');
    expect(output).not.toContain('hunter2-secret');
  });

  it('an SQLite database "file" that is a folder, refused as configuration before anything is made', async () => {
    const folder = join(dir, 'sqlite-folder', 'a-folder.db');
    mkdirSync(folder, { recursive: true });
    const { code, output } = await run('node', [CLI, 'migrate'], { DATABASE_URL: `sqlite:${folder}` });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual(['llm-settings: Invalid configuration:', '  - DATABASE_URL must name an SQLite file, not a folder']);
    expect(existsSync(join(dir, 'sqlite-folder', 'encryption.key'))).toBe(false);
  });

  it.each([
    ['not a database', (path: string) => writeFileSync(path, Buffer.alloc(4096, 7)), 'SQLITE_NOTADB: it is not an SQLite database'],
  ])('an SQLite database file that is %s, naming the file and why', async (what, make, why) => {
    const file = join(dir, 'sqlite-failures', `${what.replace(/ /g, '-')}.db`);
    mkdirSync(join(dir, 'sqlite-failures'), { recursive: true });
    make(file);
    const { code, output } = await run('node', [CLI, 'migrate'], { ENCRYPTION_KEY: KEY, DATABASE_URL: `sqlite:${file}` });
    expect(code).toBe(1);
    expect(output.split('\n')).toContain(`llm-settings: cannot use the SQLite database ${file} (${why}); fix it, or point DATABASE_URL or LLM_SETTINGS_HOME elsewhere.`);
  });

  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot)(`an SQLite database whose -shm file this user cannot write (left by another user), naming that file${asRoot ? ' (skipped: root writes any file)' : ''}`, async () => {
    const folder = join(dir, 'sqlite-shm');
    const file = join(folder, 's.db');
    const env = { ENCRYPTION_KEY: KEY, DATABASE_URL: `sqlite:${file}` };
    expect((await run('node', [CLI, 'migrate'], env)).code).toBe(0);
    // Not empty: SQLite gives an empty -shm file the database's mode itself.
    writeFileSync(`${file}-shm`, Buffer.alloc(32_768), { mode: 0o400 });
    const { code, output } = await run('node', [CLI, 'migrate'], env);
    expect(code).toBe(1);
    expect(output.split('\n')).toContain(`llm-settings: cannot use the SQLite database ${file} (SQLITE_READONLY: ${file}-shm cannot be written by this user); fix it, or point DATABASE_URL or LLM_SETTINGS_HOME elsewhere.`);
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
    expect(lines.find((l) => l.startsWith('  - ENCRYPTION_KEY'))).toContain('`npx llm-settings generate-key` (in a clone of llm-settings: `npm run llm-settings -- generate-key`)');
    expect(output).not.toContain('VALUE');
  });

  it('serve() that cannot make its HTTP app closes the storage it opened, so that the embedding process can exit', async () => {
    const server = pathToFileURL(join(REPO_ROOT, 'packages', 'server', 'dist', 'index.js')).href;
    const env = { DATABASE_URL: `sqlite:${join(dir, 'app', 's.db')}`, ENCRYPTION_KEY: KEY, PORT: '0', LOG_LEVEL: 'silent' };
    // The token verifier refuses an identity provider without an issuer, once storage is open.
    const script = `
      const { loadConfig, serve } = await import(${JSON.stringify(server)});
      const config = loadConfig(${JSON.stringify(env)});
      const identityProvider = { jwksUrl: 'http://127.0.0.1:1/jwks.json', issuer: '', audience: 'llm-settings' };
      await serve({ config: { ...config, identityProvider } }).catch((error) => console.log(error.code));`;
    // Left open, the SQLite change feed's poll would hold the process until the timeout kills it.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('CONFIG.INVALID');
  });
});

// The README's old PostgreSQL example generated a new ENCRYPTION_KEY at every start.
describeEachDatabase('a restart with a key that opens none of the stored settings, on %s', (kind) => {
  it('serve exits 1 saying how to recover; "B,A" serves the settings; ALLOW_UNDECRYPTABLE=1 starts with a warning', async () => {
    const [A, B] = [generateFernetKey(), generateFernetKey()];
    const providerKey = 'sk-ant-api03-STARTUP-KEY-CHECK-0123456789';
    const findKey = keyRunFinder([A, B, providerKey]);
    const database = await createDatabase(kind);
    /** Serves with `env`, sends one request, stops with SIGTERM; the answer and everything logged. */
    const served = async (env: Record<string, string>, init: RequestInit = {}) => {
      const port = await freePort();
      const server = start('node', [CLI, 'serve'], { PORT: String(port), DATABASE_URL: database.url, ...env });
      let answer: { status: number; body: unknown };
      try {
        await waitForOk(`http://127.0.0.1:${port}/healthz`);
        const response = await fetch(`http://127.0.0.1:${port}/api/settings/llm`, init);
        answer = { status: response.status, body: await response.json() };
      } finally {
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        expect(findKey(server.output())).toBeUndefined();
      }
      // Read once stopped: the log destination writes every 100 ms, and every line at exit.
      return { ...answer, output: server.output() };
    };
    try {
      const put = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'anthropic', api_key: providerKey }) };
      expect((await served({ ENCRYPTION_KEY: A }, put)).status).toBe(200);

      const refused = await run('node', [CLI, 'serve'], { PORT: '0', ENCRYPTION_KEY: B, DATABASE_URL: database.url });
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(
        'llm-settings: Refusing to start: none of the 1 stored values checked can be decrypted with the keys in ENCRYPTION_KEY',
      );
      expect(refused.output).toContain('ENCRYPTION_KEY=NEW,PREVIOUS');
      expect(refused.output).toContain('ALLOW_UNDECRYPTABLE=1');
      expect(refused.output).not.toContain('listening');
      expect(findKey(refused.output)).toBeUndefined();

      expect((await served({ ENCRYPTION_KEY: `${B},${A}` })).body).toMatchObject({ provider: 'anthropic', api_key_masked: '...6789' });

      const allowed = await served({ ENCRYPTION_KEY: B, ALLOW_UNDECRYPTABLE: '1' });
      expect(allowed.status).toBe(409);
      // Besides the listening line's (no SETTINGS_API_TOKEN: auth none).
      const warnings = allowed.output.split('\n').filter((line) => line.includes('"level":40') && !line.includes('"msg":"llm-settings listening"'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('none of the 1 stored values checked at start-up can be decrypted');
    } finally {
      await database.drop();
    }
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
