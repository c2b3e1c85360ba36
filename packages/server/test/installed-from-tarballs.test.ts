import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, describeWithPostgres, type TestDatabase } from './support/databases.js';
import { REPO_ROOT, assertBuilt, freePort, run, start, waitForOk } from './support/processes.js';

const execFileAsync = promisify(execFile);
const PNPM = join(REPO_ROOT, 'node_modules', '.bin', 'pnpm');
const PACKAGES = ['core', 'crypto-fernet', 'auth-jose', 'storage-knex', 'usage-knex', 'provider-probe', 'fake-provider', 'http-koa', 'contract-tests'];
const KEY = 'itGOlPGAtSXqCepE4blJoAerj_uedyIsaYEDqyW_F6M=';

let dir: string;
let app: string;
let cli: string;

/**
 * An application that installs the packed server with pg only, as the server README's "From another
 * project" does for a PostgreSQL user. The tarballs are packed from the build (`pnpm build`);
 * everything else comes from the pnpm store, offline when it holds them.
 */
beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-tarballs-'));
  const packs = join(dir, 'packs');
  await execFileAsync(PNPM, ['--filter', './packages/*', 'pack', '--ignore-scripts', '--pack-destination', packs], { cwd: REPO_ROOT });
  const tarball = (name: string) => `file:${join(packs, `llm-settings-${name}-0.1.0.tgz`)}`;
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'postgres-app', private: true, dependencies: { '@llm-settings/server': tarball('server'), pg: '^8.16.0' } }),
  );
  // The server's tarball asks for its siblings at 0.1.0, which no registry has yet: the tarballs they are.
  writeFileSync(join(app, 'pnpm-workspace.yaml'), `overrides:\n${PACKAGES.map((name) => `  "@llm-settings/${name}": "${tarball(name)}"\n`).join('')}`);
  // Without the NODE_PATH of pnpm's bin shims, through which the workspace's own packages would be found.
  await execFileAsync(PNPM, ['install', '--prefer-offline'], { cwd: app, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
  cli = join(app, 'node_modules', '.bin', 'llm-settings');
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithPostgres('the server installed from its tarballs with pg only', () => {
  it('installs no sqlite3: nothing is compiled', () => {
    expect(readdirSync(join(app, 'node_modules', '.pnpm')).filter((entry) => entry.startsWith('sqlite3'))).toEqual([]);
  });

  it('serves PostgreSQL', async () => {
    let database: TestDatabase | undefined;
    const port = await freePort();
    try {
      database = await createPostgresDatabase();
      const server = start(cli, ['serve'], { PORT: String(port), DATABASE_URL: database.url, ENCRYPTION_KEY: KEY }, app);
      try {
        await waitForOk(`http://127.0.0.1:${port}/readyz`);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      await database?.drop();
    }
  }, 30_000);

  it('on SQLite (the default) stops at start, naming the package to install', async () => {
    const { code, output } = await run(cli, ['serve'], { PORT: '0', ENCRYPTION_KEY: KEY }, app);
    expect(code).toBe(1);
    expect(output).toContain(
      'llm-settings: SQLite needs the sqlite3 package, which is not installed: run `npm install sqlite3` in your application (an optional peer dependency of @llm-settings/storage-knex).',
    );
    // Said once, clearly: not also as knex's own log line.
    expect(output).not.toContain('Knex: run');
  });
});
