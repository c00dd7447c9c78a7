/** The public API of countersign. */
export { createCountersign, type Countersign, type CountersignOptions, type Role } from './main.js';
export { loadConfig, ConfigError, type LoadConfigOptions } from './config/load-config.js';
export type { Config } from './config/schema.js';
export { CountersignError } from './core/errors.js';
export type * from './core/types.js';
export type * from './core/ports.js';
export { createOpenAIModelClient, type OpenAIModelClientOptions } from './agents/openai-model-client.js';
export { createWebAdapter, type WebAdapterOptions } from '../adapters/web/web-adapter.js';
export type { WebAuthenticate, WebIdentity } from '../adapters/web/conversation-access.js';
export { defineTool, type DefineToolOptions, type InProcessTool, type ToolExecutionContext } from './tools/define-tool.js';
export type { ToolRegistry } from './tools/tool-registry.js';
