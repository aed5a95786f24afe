/**
 * @dagstack/plugin-registry — the PluginRegistry and the in-process runtime.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { ConfigSource } from './config.js';
export { configFromObject, resolvePluginConfig } from './config.js';
export { contentHash } from './content-hash.js';
export { resolveEntryPoint } from './entry-point.js';
export {
  createInProcessHandle,
  createInProcessRuntime,
  instantiateEntryPoint,
} from './in-process.js';
export type { IsolatedHandleOptions } from './isolated.js';
export { createIsolatedHandle } from './isolated.js';
export type { LogFormat, LogLevel, StderrLoggerOptions } from './logger.js';
export { bindLogger, createStderrLogger } from './logger.js';
export type { PlanNode } from './plan.js';
export { planStartGroups, topoSort } from './plan.js';
export type {
  HostResources,
  PluginRegistryOptions,
  PluginStatus,
  ResourceLookup,
  SetupOptions,
  SetupReport,
  StateChange,
} from './registry.js';
export { PluginRegistry } from './registry.js';
export { CORE_VERSION } from './version.js';
