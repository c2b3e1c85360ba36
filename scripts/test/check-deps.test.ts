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

  it('flags an adapter using the DI container, which only the server may', () => {
    const root = fixture({ 'packages/storage-knex/src/s.ts': "import { Container } from 'inversify';\nimport 'reflect-metadata';\n" });
    expect(findViolations(root)).toEqual([
      'packages/storage-knex/src/s.ts: storage-knex must not import "inversify"',
      'packages/storage-knex/src/s.ts: storage-knex must not import "reflect-metadata"',
    ]);
  });

  it('flags the fake provider importing anything but core outside its tests, and a package using it outside its tests', () => {
    const root = fixture({
      'packages/fake-provider/src/f.ts': "import { PROVIDERS } from '@llm-settings/core';\nimport Koa from 'koa';\nimport { p } from '@llm-settings/provider-probe';\n",
      'packages/fake-provider/test/f.test.ts': "import OpenAI from 'openai';\nimport { startFakeProvider } from '@llm-settings/fake-provider';\n",
      'packages/fake-provider/package.json': JSON.stringify({ dependencies: { '@llm-settings/core': 'workspace:*', openai: '^6.0.0' }, devDependencies: { openai: '^6.0.0' } }),
      'packages/storage-knex/src/s.ts': "import { startFakeProvider } from '@llm-settings/fake-provider';\n",
      'packages/provider-probe/test/p.test.ts': "import { startFakeProvider } from '@llm-settings/fake-provider';\n",
      'packages/provider-probe/package.json': JSON.stringify({ devDependencies: { '@llm-settings/fake-provider': 'workspace:*' } }),
      'packages/core/test/c.test.ts': "import { startFakeProvider } from '@llm-settings/fake-provider';\n",
      'packages/contract-tests/test/c.test.ts': "import { startFakeProvider } from '@llm-settings/fake-provider';\n",
      'packages/usage-knex/package.json': JSON.stringify({ dependencies: { '@llm-settings/fake-provider': 'workspace:*' } }),
      'packages/server/src/demo.ts': "import { startFakeProvider } from '@llm-settings/fake-provider';\n",
    });
    expect(findViolations(root).sort()).toEqual([
      'packages/fake-provider/package.json: fake-provider must not depend on "openai"',
      'packages/fake-provider/src/f.ts: fake-provider must not import "@llm-settings/provider-probe"',
      'packages/fake-provider/src/f.ts: fake-provider must not import "koa"',
      'packages/storage-knex/src/s.ts: storage-knex must not import "@llm-settings/fake-provider"',
      'packages/usage-knex/package.json: usage-knex must not depend on "@llm-settings/fake-provider"',
    ]);
  });

  it("flags the server reaching past an adapter's public entry points, or using the contract suites outside tests", () => {
    const root = fixture({
      'packages/server/src/m.ts':
        "import { createKnexSettingsStore } from '@llm-settings/storage-knex';\nimport { upsertRows } from '@llm-settings/storage-knex/dist/settings-sql.js';\nimport { s } from '@llm-settings/contract-tests';\n",
      'packages/server/test/m.test.ts': "import { s } from '@llm-settings/contract-tests';\nimport { f } from '@llm-settings/fake-provider';\n",
    });
    expect(findViolations(root)).toEqual([
      'packages/server/src/m.ts: server must not import "@llm-settings/storage-knex/dist/settings-sql.js"',
      'packages/server/src/m.ts: server must not import "@llm-settings/contract-tests"',
    ]);
  });

  it('flags a relative import that leaves its package', () => {
    const root = fixture({
      'packages/server/src/m.ts': "import { upsertRows } from '../../storage-knex/src/settings-sql.js';\nimport { ok } from './ok.js';\n",
      'packages/core/test/t.test.ts': "import { x } from '../../http-koa/src/app.js';\n",
    });
    expect(findViolations(root).sort()).toEqual([
      'packages/core/test/t.test.ts: a relative import must not leave core ("../../http-koa/src/app.js")',
      'packages/server/src/m.ts: a relative import must not leave server ("../../storage-knex/src/settings-sql.js")',
    ]);
  });

  it('flags an example reaching past the public entry points, or out of its folder', () => {
    const root = fixture({
      'examples/my-store/src/store.ts':
        "import { ConflictError } from '@llm-settings/core';\nimport { x } from '@llm-settings/core/src/errors.js';\nimport { y } from '../../../packages/core/src/index.js';\nimport { z } from './local.js';\n",
      'examples/my-store/test/store.test.ts': "import { describeSettingsStoreContract } from '@llm-settings/contract-tests';\nimport { f } from '@llm-settings/fake-provider';\n",
    });
    expect(findViolations(root).sort()).toEqual([
      'examples/my-store/src/store.ts: a relative import must not leave the example ("../../../packages/core/src/index.js")',
      'examples/my-store/src/store.ts: an example must use "@llm-settings/core" through its public entry points',
    ]);
  });

  it("flags a benchmark importing a package's internals instead of its public build", () => {
    const root = fixture({
      'packages/storage-knex/bench/store.bench.mjs': "export const x = 1;\n",
      'bench/run.mjs':
        "import { a } from '../packages/core/dist/index.js';\nimport { b } from '../packages/fake-provider/dist/index.js';\nimport { c } from '../packages/storage-knex/bench/store.bench.mjs';\nimport { d } from '../packages/storage-knex/dist/settings-sql.js';\nconst p = new URL('../packages/server/package.json', import.meta.url);\n",
    });
    expect(findViolations(root)).toEqual(['bench/run.mjs: benchmarks must not import "../packages/storage-knex/dist/settings-sql.js"']);
  });
});
