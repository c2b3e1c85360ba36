// What embedders use: the wired core, the HTTP service, and the configuration they are
// built from. The container, its modules and tokens stay inside the composition root.
export { loadConfig, type LogLevel, type ServerConfig } from './config.js';
export { createLlmSettings, type CreateLlmSettingsOptions, type LlmClient, type LlmSettings } from './create-llm-settings.js';
export { serve, type RunningServer } from './serve.js';
