export * from './config.js';
export * from './create-llm-settings.js';
export * from './encryption-key.js';
export * from './logger.js';
export * from './modules.js';
export * from './readiness.js';
export * from './serve.js';
export * from './tokens.js';
