/**
 * @dagstack/plugin-runtime-mcp-http — the `mcp_http` runtime: load plugins
 * that run as MCP Streamable HTTP services speaking the dagstack wire (host
 * side, with auth, timeouts, retries, a circuit breaker and background
 * reconnection), and serve a plugin object over HTTP (plugin side).
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { ServerRequestContext, ServerRequestHandlers } from '@dagstack/plugin-mcp-wire';
export type { BreakerState, ConnectionState } from './handle.js';
export type {
  HttpConnectionInfo,
  McpHttpRuntime,
  McpHttpRuntimeOptions,
} from './runtime.js';
export { createMcpHttpRuntime, MCPHttpAdapter } from './runtime.js';
export type {
  McpHttpAccessOptions,
  McpHttpEndpoint,
  McpHttpServeOptions,
  McpSessionServer,
  ServeAuthOptions,
  ServedHttpPlugin,
  ServePluginOptions,
} from './serve.js';
export { serveMcpHttp, servePlugin } from './serve.js';
