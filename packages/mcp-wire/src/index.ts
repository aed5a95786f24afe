/**
 * @dagstack/plugin-mcp-wire — the dagstack MCP wire (docs/wire.md): hooks as
 * MCP tools, call metadata and trace context in `_meta`, structured errors,
 * and the dagstack extension requests. Transport-agnostic; shared by the
 * `mcp_stdio` and `mcp_http` runtimes.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export { canonicalJson } from './canonical-json.js';
export { checkMcpPlugin } from './check.js';
export type { ServerCapability, WireExtension } from './constants.js';
export {
  CAPABILITY_KEY,
  CATALOGUE_HOOK,
  DEFAULT_MAX_MESSAGE_BYTES,
  META_KEYS,
  METHODS,
  NO_TIMEOUT_MS,
  TOOL_NAME_PATTERN,
  WIRE_VERSION,
} from './constants.js';
export type { ErrorSite, WireError } from './errors.js';
export {
  describeError,
  errorFromToolResult,
  mapRequestError,
  toolErrorResult,
} from './errors.js';
export type { WireMeta } from './metadata.js';
export { decodeMetadata, encodeMetadata } from './metadata.js';
export type {
  McpNotification,
  McpPeer,
  McpPeerRequestOptions,
  ServedPeer,
} from './peer.js';
export { MCP_RESULT_KEY, MCP_TOOL_KEY, mcpPeerOf, mcpResultOf, mcpToolOf } from './peer.js';
export type { JsonLineLevel } from './plugin-context.js';
export { createJsonLineLogger } from './plugin-context.js';
export type { RegistryServerOptions, ServedRegistry } from './registry-server.js';
export { createRegistryServer } from './registry-server.js';
export type { PluginServer, PluginServerOptions, ServeTarget } from './server.js';
export { createPluginServer, unservableHooks } from './server.js';
export type { ServerRequestContext, ServerRequestHandlers } from './server-requests.js';
export type { WireSessionOptions } from './session.js';
export { openWireSession, WireSession } from './session.js';
export type { SetupParams } from './setup-params.js';
export { setupParamsFrom } from './setup-params.js';
export type { WireHook } from './tool-names.js';
export {
  functionOf,
  isCatalogueHook,
  isObjectSchema,
  planHook,
  renderToolName,
} from './tool-names.js';
export type { ToolResult } from './values.js';
export { decodeInput, decodeOutput, encodeInput, encodeOutput } from './values.js';
export type { WireClientOptions } from './wire-client.js';
export { createWireClient } from './wire-client.js';
