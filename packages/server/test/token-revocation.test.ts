import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJoseTokenMinter } from '@llm-settings/auth-jose';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { CLI, assertBuilt, freePort, run, start, waitForOk, type Spawned } from './support/processes.js';
import { TOKEN_SECRET } from './support/scoped-tokens.js';

/** Generous beside the 1 s the change feed takes (SQLite's data_version is polled every 250 ms): no timing is asserted. */
const GENEROUS_WAIT_MS = 10_000;

// On SQLite, one file shared by two processes; on PostgreSQL, its change feed.
describeEachDatabase('revoke-tokens in one process, seen by a server process on one %s database', (kind) => {
  let database: TestDatabase;
  let server: Spawned;
  let url: string;
  const env = () => ({ DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey, SETTINGS_TOKEN_SECRET: TOKEN_SECRET, LOG_LEVEL: 'warn' });
  const encryptionKey = generateFernetKey();
  const minter = createJoseTokenMinter({ secrets: TOKEN_SECRET });

  const statusWith = async (token: string) =>
    (await fetch(`${url}/api/settings/llm`, { headers: { authorization: `Bearer ${token}` } })).status;

  /** Asks until the server refuses `token`, for at most GENEROUS_WAIT_MS; the last status it gave. */
  async function statusOnceRefused(token: string): Promise<number> {
    const deadline = Date.now() + GENEROUS_WAIT_MS;
    let status = await statusWith(token);
    while (status !== 401 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await statusWith(token);
    }
    return status;
  }

  beforeAll(async () => {
    assertBuilt();
    database = await createDatabase(kind);
    const port = await freePort();
    server = start('node', [CLI, 'serve'], { ...env(), PORT: String(port) });
    url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/readyz`);
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      process.kill(-server.child.pid!, 'SIGTERM');
      await server.exited;
    }
    await database?.drop();
  });

  it('refuses the scope’s earlier tokens once another process revokes them, and only those', async () => {
    const revoked = await minter.mint({ scope: 'tenant-a', can: ['read'], ttlSeconds: 600 });
    const otherScope = await minter.mint({ scope: 'tenant-b', can: ['read'], ttlSeconds: 600 });
    // Accepted, so the server has the scope's revocation time (none) in its cache.
    expect(await statusWith(revoked)).toBe(200);
    expect(await statusWith(revoked)).toBe(200);

    const revocation = await run('node', [CLI, 'revoke-tokens', '--scope', 'tenant-a'], env());
    expect(revocation.code, revocation.output).toBe(0);
    expect(revocation.output).toMatch(/^Tokens of scope tenant-a issued before \d{4}-\d\d-\d\dT[\d:.]+Z are refused, in (sqlite|postgres):\S+\.\n$/);

    expect(await statusOnceRefused(revoked)).toBe(401);
    expect(await statusWith(otherScope)).toBe(200);
    // A token issued in a later second than the revocation is accepted.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await statusWith(await minter.mint({ scope: 'tenant-a', can: ['read'], ttlSeconds: 600 }))).toBe(200);
  });

  it('revoke-tokens without --scope, or with an invalid one, fails, naming what is wrong', async () => {
    const missing = await run('node', [CLI, 'revoke-tokens'], env());
    expect([missing.code, missing.output]).toEqual([2, 'llm-settings: revoke-tokens needs --scope <scope>, each once (and nothing else)\n']);
    const invalid = await run('node', [CLI, 'revoke-tokens', '--scope', 'no spaces'], env());
    expect(invalid.code).not.toBe(0);
    expect(invalid.output).toContain('scope');
  });
});
