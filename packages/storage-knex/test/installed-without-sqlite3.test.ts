import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_SKIPPED, POSTGRES_URL, ensurePostgresRunning } from './support/postgres.js';
import { createTempDir, type TempDir } from './support/sqlite.js';

const run = promisify(execFile);
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PNPM = join(REPO_ROOT, 'node_modules', '.bin', 'pnpm');
const BUILT = ['core', 'storage-knex'].map((name) => join(REPO_ROOT, 'packages', name, 'dist', 'index.js'));
/** The application's own environment: without the NODE_PATH pnpm's bin shims give this process, through which the workspace's sqlite3 would be found. */
const APP_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };

/** What the application's script printed: the outcome of createKnexFromUrl for one URL. */
type Outcome = { made: true; rows?: unknown } | { made: false; name: string; code: unknown; message: string };

let dir: TempDir;
let app: string;

/**
 * An application that installs the packed core and storage-knex tarballs with knex and pg,
 * as a PostgreSQL user does: the tarballs come from the build (`pnpm build`), the other
 * packages from the pnpm store, offline when it holds them.
 */
beforeAll(async () => {
  for (const file of BUILT) if (!existsSync(file)) throw new Error(`${file} is missing: run "pnpm build" first (npm run test:all does)`);
  if (POSTGRES_SKIPPED === undefined) await ensurePostgresRunning();
  dir = createTempDir();
  const packs = join(dir.path, 'packs');
  await run(PNPM, ['--filter', '@llm-settings/core', '--filter', '@llm-settings/storage-knex', 'pack', '--ignore-scripts', '--pack-destination', packs], {
    cwd: REPO_ROOT,
  });
  const tarball = (name: string) => `file:${join(packs, `llm-settings-${name}-0.1.0.tgz`)}`;
  app = join(dir.path, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'postgres-only-app',
      private: true,
      type: 'module',
      dependencies: { '@llm-settings/core': tarball('core'), '@llm-settings/storage-knex': tarball('storage-knex'), knex: '^3.2.0', pg: '^8.16.0' },
    }),
  );
  // storage-knex's tarball asks for core 0.1.0, which no registry has yet: the tarball it is.
  writeFileSync(join(app, 'pnpm-workspace.yaml'), `overrides:\n  "@llm-settings/core": "${tarball('core')}"\n`);
  await run(PNPM, ['install', '--prefer-offline'], { cwd: app, env: APP_ENV });
  writeFileSync(
    join(app, 'connect.mjs'),
    `import { createKnexFromUrl } from '@llm-settings/storage-knex';
let outcome;
try {
  const knex = createKnexFromUrl(process.argv[2]);
  outcome = { made: true, rows: process.argv[2].startsWith('postgres') ? (await knex.raw('SELECT 1 AS one')).rows : undefined };
  await knex.destroy();
} catch (error) {
  outcome = { made: false, name: error.constructor.name, code: error.code, message: error.message };
}
console.log(JSON.stringify(outcome));
`,
  );
}, 120_000);

afterAll(() => dir?.remove());

async function connect(url: string): Promise<Outcome> {
  const { stdout } = await run(process.execPath, ['connect.mjs', url], { cwd: app, env: APP_ENV });
  return JSON.parse(stdout) as Outcome;
}

describe('storage-knex installed without sqlite3 (both drivers are optional peers)', () => {
  it('installs no sqlite3 at all: nothing to compile', () => {
    expect(readdirSync(join(app, 'node_modules', '.pnpm')).filter((entry) => entry.startsWith('sqlite3'))).toEqual([]);
  });

  it.skipIf(POSTGRES_SKIPPED !== undefined)(`works on PostgreSQL${POSTGRES_SKIPPED ? ` (skipped: ${POSTGRES_SKIPPED})` : ''}`, async () => {
    expect(await connect(POSTGRES_URL)).toEqual({ made: true, rows: [{ one: 1 }] });
  });

  it('an sqlite: URL is a ConfigError naming the package to install, and leaves no database file behind', async () => {
    const file = join(dir.path, 'data', 'settings.db');
    expect(await connect(`sqlite:${file}`)).toEqual({
      made: false,
      name: 'ConfigError',
      code: 'CONFIG.INVALID',
      message:
        'SQLite needs the sqlite3 package, which is not installed: run `npm install sqlite3` in your application (an optional peer dependency of @llm-settings/storage-knex).',
    });
    expect(existsSync(file)).toBe(false);
  });

  it('a sqlite3 that is installed but does not load (its native module not built) is a ConfigError saying how to rebuild it', async () => {
    // What a failed or skipped native build leaves: a package whose binding is missing.
    const broken = join(app, 'node_modules', 'sqlite3');
    mkdirSync(broken);
    writeFileSync(join(broken, 'package.json'), JSON.stringify({ name: 'sqlite3', version: '6.0.1', main: 'index.js' }));
    writeFileSync(join(broken, 'index.js'), "throw new Error('Could not locate the bindings file.');\n");
    const outcome = await connect(`sqlite:${join(dir.path, 'data', 'settings.db')}`);
    expect(outcome).toMatchObject({ made: false, name: 'ConfigError', code: 'CONFIG.INVALID' });
    expect(outcome.made === false && outcome.message).toMatch(/^The sqlite3 package is installed but does not load: run `npm rebuild sqlite3/);
  });
});
