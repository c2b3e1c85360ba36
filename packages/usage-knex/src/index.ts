export { createKnexUsageStore, type KnexUsageStoreOptions } from './knex-usage-store.js';
export { migrateUsageStore, pendingUsageStoreMigrations, type MigrateUsageStoreOptions } from './migrate-usage-store.js';
export { DEFAULT_USAGE_TABLE } from './defaults.js';
