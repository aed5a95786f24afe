/**
 * @dagstack/plugin-runtime-mcp-http — the `mcp_http` runtime: load plugins
 * that run as MCP Streamable HTTP services speaking the dagstack wire (host
 * side, with auth — a token, or the OAuth client-credentials grant —,
 * timeouts, retries, a circuit breaker and background reconnection; a
 * service that speaks only the deprecated HTTP+SSE transport is reached over
 * it), and serve a plugin object over HTTP (plugin side).
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { ServerRequestContext, ServerRequestHandlers } from '@dagstack/plugin-mcp-wire';
export type { OAuthTokenErrorOptions } from './errors.js';
export { isOAuthTokenError, OAuthTokenError } from './errors.js';
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
