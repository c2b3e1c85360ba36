#!/usr/bin/env node
// Enforces the hexagon's import rules on every package's sources, tests, benchmarks and
// manifest: core imports zod only; adapters import core (never each other, never the
// server, never the DI container); contract suites import core only; the server (the
// composition root) and the repository's benchmarks use packages through their public
// entry points only, and so do the examples of third-party adapters. The fake provider is
// a test tool: it imports core only, and every package's tests may use it (the server's
// sources too, for its demo). A relative import may not leave its package. Exits 1 listing
// each violation.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCOPE = '@llm-settings/';
const ADAPTERS = ['crypto-fernet', 'storage-knex', 'usage-knex', 'provider-probe', 'http-koa', 'auth-jose'];
/** Test-only tooling every package's tests may use. */
const TEST_TOOLS = ['vitest', 'fast-check', '@seriousme/openapi-schema-validator', `${SCOPE}fake-provider`];

/** Only the composition root wires objects with a container. */
const CONTAINER_ONLY = ['inversify', 'reflect-metadata'];
/** Entry points a package may publish (its package.json `exports`): the adapter, test helpers, what configuration needs without the adapter. */
const PUBLIC_ENTRIES = ['', '/testing', '/config'];
const isPublicEntry = (spec) => PUBLIC_ENTRIES.some((entry) => /^@llm-settings\/[a-z-]+$/.test(spec.slice(0, spec.length - entry.length)) && spec.endsWith(entry));

/** Which imports a package may make: `allowed(specifier, where)` with where = 'src' | 'test' | 'bench'. */
const RULES = {
  core: (spec, where) => spec === 'zod' || spec.startsWith('zod/') || (where === 'test' && TEST_TOOLS.includes(spec)),
  'contract-tests': (spec, where) => !spec.startsWith(SCOPE) || spec.startsWith(`${SCOPE}core`) || (where === 'test' && TEST_TOOLS.includes(spec)),
  // Core and Node's modules only, so that it adds nothing to the packages whose tests use it.
  'fake-provider': (spec, where) =>
    spec === `${SCOPE}core` || (where === 'test' && (!spec.startsWith(SCOPE) || spec.startsWith(`${SCOPE}core/`) || spec === `${SCOPE}fake-provider`)),
  ...Object.fromEntries(
    ADAPTERS.map((name) => [
      name,
      (spec, where) =>
        !CONTAINER_ONLY.includes(spec) &&
        (!spec.startsWith(SCOPE) ||
          (where === 'test' && TEST_TOOLS.includes(spec)) ||
          [`${SCOPE}core`, `${SCOPE}contract-tests`, `${SCOPE}${name}`].some((ok) => spec === ok || spec.startsWith(`${ok}/`))),
    ]),
  ),
  // Every adapter, but through its public entry points; the contract suites only in tests.
  server: (spec, where) => !spec.startsWith(SCOPE) || (isPublicEntry(spec) && (where === 'test' || !spec.startsWith(`${SCOPE}contract-tests`))),
};

const IMPORT_PATTERNS = [
  /\bfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' || entry === 'dist' ? [] : sourceFiles(path);
    return /\.(c|m)?[jt]s$/.test(entry) ? [path] : [];
  });
}

function importsOf(text) {
  const found = new Set();
  for (const pattern of IMPORT_PATTERNS) for (const match of text.matchAll(pattern)) found.add(match[1]);
  return [...found].filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'));
}

/** Relative imports of `file`, as paths, for the boundary checks. */
function relativeImportsOf(file, text) {
  const found = new Set();
  for (const pattern of IMPORT_PATTERNS) for (const match of text.matchAll(pattern)) if (match[1].startsWith('.')) found.add(match[1]);
  for (const match of text.matchAll(/new URL\(\s*['"](\.[^'"]*)['"]\s*,\s*import\.meta\.url/g)) found.add(match[1]);
  return [...found].map((spec) => ({ spec, target: resolve(dirname(file), spec) }));
}

const inside = (dir, path) => path === dir || path.startsWith(`${dir}${sep}`);

/**
 * The repository's benchmarks reach packages through relative paths to their build:
 * only to a public entry point (`dist/index.js`, `dist/testing/index.js`), a package's
 * own benchmarks, or its package.json (to resolve its dependencies).
 */
function benchViolations(root) {
  const packages = join(root, 'packages');
  const allowedTargets = (target) => {
    const [pkg, ...rest] = relative(packages, target).split(sep);
    const path = rest.join('/');
    return ['dist/index.js', 'dist/testing/index.js', 'package.json'].includes(path) || (path.startsWith('bench/') && existsSync(join(packages, pkg, 'bench')));
  };
  return sourceFiles(join(root, 'bench')).flatMap((file) =>
    relativeImportsOf(file, readFileSync(file, 'utf8'))
      .filter(({ target }) => inside(packages, target) && !allowedTargets(target))
      .map(({ spec }) => `${relative(root, file)}: benchmarks must not import "${spec}"`),
  );
}

/**
 * The examples are third-party adapters: they reach the packages through their public
 * entry points only (never `src` or `dist` paths), and relative imports stay inside the
 * example.
 */
function exampleViolations(root) {
  const examples = join(root, 'examples');
  if (!existsSync(examples)) return [];
  return readdirSync(examples).flatMap((name) => {
    const dir = join(examples, name);
    if (!statSync(dir).isDirectory()) return [];
    return sourceFiles(dir).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const where = relative(root, file);
      return [
        ...importsOf(text)
          .filter((spec) => spec.startsWith(SCOPE) && !isPublicEntry(spec))
          .map((spec) => `${where}: an example must use "${spec.split('/').slice(0, 2).join('/')}" through its public entry points`),
        ...relativeImportsOf(file, text)
          .filter(({ target }) => !inside(dir, target))
          .map(({ spec }) => `${where}: a relative import must not leave the example ("${spec}")`),
      ];
    });
  });
}

/** Every rule broken under `root`, as human-readable lines. */
export function findViolations(root) {
  const violations = [];
  for (const [pkg, allowed] of Object.entries(RULES)) {
    const pkgDir = join(root, 'packages', pkg);
    if (!existsSync(pkgDir)) continue;
    for (const where of ['src', 'test', 'bench']) {
      for (const file of sourceFiles(join(pkgDir, where))) {
        const text = readFileSync(file, 'utf8');
        for (const spec of importsOf(text)) {
          if (!allowed(spec, where === 'bench' ? 'test' : where)) violations.push(`${relative(root, file)}: ${pkg} must not import "${spec}"`);
        }
        for (const { spec, target } of relativeImportsOf(file, text)) {
          if (!inside(pkgDir, target)) violations.push(`${relative(root, file)}: a relative import must not leave ${pkg} ("${spec}")`);
        }
      }
    }
    const manifest = join(pkgDir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { dependencies = {}, peerDependencies = {}, devDependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
    for (const dep of Object.keys({ ...dependencies, ...peerDependencies })) {
      if (!allowed(dep, 'src')) violations.push(`packages/${pkg}/package.json: ${pkg} must not depend on "${dep}"`);
    }
    for (const dep of Object.keys(devDependencies)) {
      if (!allowed(dep, 'test') && dep.startsWith(SCOPE)) violations.push(`packages/${pkg}/package.json: ${pkg} must not depend on "${dep}"`);
    }
  }
  return [...violations, ...benchViolations(root), ...exampleViolations(root)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), '..');
  const violations = findViolations(root);
  if (violations.length > 0) {
    console.error(`check-deps: ${violations.length} forbidden import(s):\n${violations.map((v) => `  ${v}`).join('\n')}`);
    process.exit(1);
  }
  console.log('check-deps: package boundaries hold');
}
