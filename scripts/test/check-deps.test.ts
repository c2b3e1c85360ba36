import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { findViolations } from '../check-deps.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures: string[] = [];

function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-deps-'));
  fixtures.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

afterEach(() => {
  for (const root of fixtures.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('check-deps', () => {
  it('finds no violation in this repository', () => {
    expect(findViolations(repoRoot)).toEqual([]);
  });

  it('flags core importing anything but zod', () => {
    const root = fixture({
      'packages/core/src/a.ts': "import { z } from 'zod';\nimport Koa from 'koa';\nconst k = await import('knex');\n",
    });
    expect(findViolations(root)).toEqual([
      'packages/core/src/a.ts: core must not import "koa"',
      'packages/core/src/a.ts: core must not import "knex"',
    ]);
  });

  it('flags an adapter importing another adapter, in code or in its manifest', () => {
    const root = fixture({
      'packages/http-koa/src/app.ts': "import { createFernetCipher } from '@llm-settings/crypto-fernet';\nimport { x } from '@llm-settings/core';\n",
      'packages/storage-knex/package.json': JSON.stringify({ devDependencies: { '@llm-settings/provider-probe': 'workspace:*' } }),
    });
    expect(findViolations(root).sort()).toEqual([
      'packages/http-koa/src/app.ts: http-koa must not import "@llm-settings/crypto-fernet"',
      'packages/storage-knex/package.json: storage-knex must not depend on "@llm-settings/provider-probe"',
    ]);
  });

  it('flags contract suites importing an adapter', () => {
    const root = fixture({ 'packages/contract-tests/src/s.ts': "export * from '@llm-settings/storage-knex';\n" });
    expect(findViolations(root)).toEqual(['packages/contract-tests/src/s.ts: contract-tests must not import "@llm-settings/storage-knex"']);
  });
});
