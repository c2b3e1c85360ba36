import { defineConfig } from 'vitest/config';

// No `dev-source` condition: the llm-settings packages are used as published, through
// their `exports` (built `dist`), as a third party gets them. Run `pnpm build` first.
export default defineConfig({
  test: {
    name: 'example: json-file-store',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
