export * from './memory-store.js';
export * from './memory-cipher.js';
export * from './scripted-probe.js';
export * from './fetch-probe.js';
export * from './memory-model-lister.js';
export * from './memory-usage-store.js';
