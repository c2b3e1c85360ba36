export * from './memory-store.js';
export * from './memory-cipher.js';
export * from './scripted-probe.js';
export * from './fetch-probe.js';
export * from './memory-model-lister.js';
// Where a scope's settings are stored, for tests that plant or remove a stored value by hand.
export { settingsKeyFor } from '../scopes.js';
export * from './memory-usage-store.js';
