import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'check-toolchain.sh');
const folders: string[] = [];

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'toolchain-'));
  folders.push(folder);
  return folder;
}

/** A PATH holding only the named commands: the real ones, or a script standing in for one. */
function pathWith(commands: Record<string, string | 'real'>): string {
  const bin = tempFolder();
  for (const [name, body] of Object.entries(commands)) {
    const target = join(bin, name);
    if (body === 'real') {
      const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(found, target);
    } else {
      writeFileSync(target, `#!/bin/sh\n${body}\n`);
      chmodSync(target, 0o755);
    }
  }
  return bin;
}

function check(path: string, root = tempFolder()) {
  const run = spawnSync('/bin/bash', [script, root], { encoding: 'utf8', env: { PATH: path } });
  return { status: run.status, stderrLines: run.stderr.split('\n').filter(Boolean) };
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('check-toolchain.sh', () => {
  it('passes where Node.js, python3, make and a C++ compiler are installed', () => {
    expect(check(pathWith({ node: 'real', python3: 'real', make: 'real', 'g++': 'real' }))).toEqual({
      status: 0,
      stderrLines: [],
    });
  });

  it('names every missing build tool in one line, with the command that installs them', () => {
    const result = check(pathWith({ node: 'real', python3: 'real' }));
    expect(result.status).toBe(1);
    expect(result.stderrLines).toEqual([
      'set-up: sqlite3 must be compiled here and needs python3, make and a C++ compiler; missing: make, a C++ compiler (g++) (Debian/Ubuntu: apt-get install python3 make g++)',
    ]);
  });

  it('needs no build tool once the sqlite3 binding is built', () => {
    const root = tempFolder();
    const release = join(root, 'node_modules/.pnpm/sqlite3@6.0.1/node_modules/sqlite3/build/Release');
    mkdirSync(release, { recursive: true });
    writeFileSync(join(release, 'node_sqlite3.node'), '');
    expect(check(pathWith({ node: 'real' }), root)).toEqual({ status: 0, stderrLines: [] });
  });

  it('refuses a Node.js older than 20.17 in one line', () => {
    const oldNode = pathWith({ node: `case "$2" in *process.exit*) exit 1;; *) echo 18.19.0;; esac` });
    expect(check(oldNode)).toEqual({
      status: 1,
      stderrLines: ['set-up: Node.js 18.19.0 is too old; llm-settings needs Node.js 20.17 or later'],
    });
  });

  it('says so in one line when Node.js is missing', () => {
    expect(check(pathWith({}))).toEqual({
      status: 1,
      stderrLines: ['set-up: Node.js is not installed; llm-settings needs Node.js 20.17 or later'],
    });
  });
});
