// The list of test projects. vitest 4 no longer reads this file by itself:
// the root vitest.config.ts imports it into `test.projects`.
export const projects = [
  'packages/core',
  'packages/contract-tests',
  'packages/fake-provider',
  'packages/crypto-fernet',
  'packages/auth-jose',
  'packages/storage-knex',
  'packages/usage-knex',
  'packages/provider-probe',
  'packages/http-koa',
  'packages/server',
  'scripts',
  // Built packages, used as a third party would: needs `pnpm build` first.
  'examples/json-file-store',
];

export default projects;
