#!/usr/bin/env node
// Enforces the hexagon's import rules on every package's sources, tests and manifest:
// core imports zod only; adapters import core (never each other, never the server);
// contract suites import core only. Exits 1 listing each violation.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCOPE = '@llm-settings/';
const ADAPTERS = ['crypto-fernet', 'storage-knex', 'provider-probe', 'http-koa'];
/** Test-only tooling every package's tests may use. */
const TEST_TOOLS = ['vitest', 'fast-check', '@seriousme/openapi-schema-validator'];

/** Which imports a package may make: `allowed(specifier, where)` with where = 'src' | 'test'. */
const RULES = {
  core: (spec, where) => spec === 'zod' || spec.startsWith('zod/') || (where === 'test' && TEST_TOOLS.includes(spec)),
  'contract-tests': (spec) => !spec.startsWith(SCOPE) || spec.startsWith(`${SCOPE}core`),
  ...Object.fromEntries(
    ADAPTERS.map((name) => [name, (spec) => !spec.startsWith(SCOPE) || [`${SCOPE}core`, `${SCOPE}contract-tests`, `${SCOPE}${name}`].some((ok) => spec === ok || spec.startsWith(`${ok}/`))]),
  ),
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

/** Every rule broken under `root`, as human-readable lines. */
export function findViolations(root) {
  const violations = [];
  for (const [pkg, allowed] of Object.entries(RULES)) {
    const pkgDir = join(root, 'packages', pkg);
    if (!existsSync(pkgDir)) continue;
    for (const where of ['src', 'test']) {
      for (const file of sourceFiles(join(pkgDir, where))) {
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          if (!allowed(spec, where)) violations.push(`${relative(root, file)}: ${pkg} must not import "${spec}"`);
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
  return violations;
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
