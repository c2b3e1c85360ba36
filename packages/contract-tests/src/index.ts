/**
 * Contract suites: each registers vitest tests for one adapter of one port.
 * Call them at the top level of a test file (during collection).
 */
export * from './secret-cipher.contract.js';
export * from './provider-probe.contract.js';
export * from './settings-store.contract.js';
export * from './model-lister.contract.js';
export * from './logger.contract.js';
export * from './token-verifier.contract.js';
export * from './usage-store.contract.js';
/** Test support for adapters on PostgreSQL: the tests' server, skipped when it does not answer. */
export * from './postgres.js';
