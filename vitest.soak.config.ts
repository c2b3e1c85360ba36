import { defineConfig } from 'vitest/config';

/**
 * The long part of the end-to-end proof (`pnpm test:soak`): load, thousands of fuzzed
 * inputs, and stopping the real PostgreSQL cluster. Its files (`*.soak.ts`) are not
 * collected by `pnpm test`, and run one at a time: one of them stops PostgreSQL.
 * Needs the build (the CLI runs from packages/server/dist).
 */
export default defineConfig({
  resolve: { conditions: ['dev-source'] },
  ssr: { resolve: { conditions: ['dev-source'], externalConditions: ['dev-source'] } },
  test: {
    name: 'soak',
    include: ['packages/server/test/prove/**/*.soak.ts'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
