import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const scripts = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOG = 'node_modules/.cache/llm-settings/setup.log';
const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/**
 * A workspace holding the real set-up scripts and a stand-in for the pinned pnpm that
 * prints what node-gyp and pnpm print (200 lines of warnings, an update notice), and fails
 * when `failOn` is its first argument.
 */
function workspace(failOn?: 'install' | 'run'): string {
  const root = mkdtempSync(join(tmpdir(), 'bootstrap-'));
  folders.push(root);
  mkdirSync(join(root, 'scripts'));
  for (const name of ['bootstrap.sh', 'check-toolchain.sh']) copyFileSync(join(scripts, name), join(root, 'scripts', name));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ packageManager: 'pnpm@9.9.9' }));
  // The sqlite3 binding counts as built, so the toolchain check needs no compiler.
  mkdirSync(join(root, 'node_modules/.pnpm/sqlite3@6.0.1/node_modules/sqlite3/build/Release'), { recursive: true });
  writeFileSync(join(root, 'node_modules/.pnpm/sqlite3@6.0.1/node_modules/sqlite3/build/Release/node_sqlite3.node'), '');
  mkdirSync(join(root, 'node_modules/.bin'));
  const pnpm = join(root, 'node_modules/.bin/pnpm');
  writeFileSync(
    pnpm,
    `#!/bin/sh
[ "$1" = --version ] && { echo 9.9.9; exit 0; }
i=0; while [ $i -lt 200 ]; do echo "gyp warning: noise line $i"; i=$((i+1)); done
echo "Update available! 9.9.9 → 10.0.0. run: curl -fsSL https://get.pnpm.io/install.sh | sh -" >&2
[ "$1" = "${failOn ?? 'never'}" ] && { echo "ERR_PNPM_SOMETHING: the real cause" >&2; exit 1; }
exit 0
`,
  );
  chmodSync(pnpm, 0o755);
  return root;
}

function bootstrap(root: string, ...args: string[]) {
  const run = spawnSync('/bin/bash', [join(root, 'scripts', 'bootstrap.sh'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { status: run.status, lines: `${run.stdout}${run.stderr}`.split('\n').filter(Boolean) };
}

describe('update notices', () => {
  it('are off for npm and for the pinned pnpm in this repository, whatever the user’s own settings', () => {
    const root = join(scripts, '..');
    // A HOME of its own: no user configuration decides it.
    const env = { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'bootstrap-home-')) };
    folders.push(env.HOME);
    const get = (command: string, args: string[]) => spawnSync(command, args, { cwd: root, encoding: 'utf8', env }).stdout.trim();
    expect(get('npm', ['config', 'get', 'update-notifier'])).toBe('false');
    expect(get(join(root, 'node_modules/.bin/pnpm'), ['config', 'get', 'updateNotifier'])).toBe('false');
  });
});

describe('bootstrap.sh', () => {
  it('prints one line per step and keeps the tools’ output in the log', () => {
    const root = workspace();
    const { status, lines } = bootstrap(root, '--build');
    expect(status).toBe(0);
    expect(lines).toEqual(['set-up: installing packages (pnpm install)', 'set-up: building (pnpm build)', `set-up: done (log: ${join(root, LOG)})`]);
    const log = readFileSync(join(root, LOG), 'utf8');
    expect(log).toContain('gyp warning: noise line 199');
  });

  it('on a failing step names it, gives the log’s path and its last lines, and exits 1', () => {
    const root = workspace('install');
    const { status, lines } = bootstrap(root, '--build');
    expect(status).toBe(1);
    expect(lines[0]).toBe('set-up: installing packages (pnpm install)');
    expect(lines[1]).toBe(`set-up: installing packages (pnpm install) failed; the full output is in ${join(root, LOG)}, its end:`);
    expect(lines).toContain('ERR_PNPM_SOMETHING: the real cause');
    expect(lines.length).toBeLessThanOrEqual(22);
    expect(lines.join('\n')).not.toContain('set-up: building');
  });
});
