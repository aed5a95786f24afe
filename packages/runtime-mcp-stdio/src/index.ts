/**
 * @dagstack/plugin-runtime-mcp-stdio — the `mcp_stdio` runtime: load plugins
 * as child processes speaking the dagstack MCP wire over stdio (host side),
 * and serve a plugin object over stdio (plugin side).
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export { childEnvironment, INHERITED_ENV_VARS } from './env.js';
export type {
  McpStdioRuntime,
  McpStdioRuntimeOptions,
  StdioProcessInfo,
} from './runtime.js';
export { createMcpStdioRuntime, MCPStdioAdapter } from './runtime.js';
export type { ServedPlugin, ServePluginOptions } from './serve.js';
export { guardStdout, servePlugin } from './serve.js';
