import { defineProject } from 'vitest/config';

/**
 * Per-package test config: resolves workspace packages through their `dev-source`
 * export condition so tests run from TypeScript sources without a build.
 */
export function packageProject(name: string, overrides: { testTimeout?: number; fileParallelism?: boolean } = {}) {
  return defineProject({
    resolve: { conditions: ['dev-source'] },
    ssr: { resolve: { conditions: ['dev-source'], externalConditions: ['dev-source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: overrides.testTimeout ?? 15_000,
      hookTimeout: 60_000,
      fileParallelism: overrides.fileParallelism ?? true,
    },
  });
}
