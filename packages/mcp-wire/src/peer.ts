import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';

/**
 * Key of the full MCP tool descriptor (`title`, `annotations`,
 * `inputSchema` as sent, `outputSchema`, `_meta`, `icons`, ...) on a
 * catalogue entry `{ name, description, parameters }` that a plain MCP
 * server's `tools/list` produced. A non-enumerable symbol property: JSON,
 * ajv and `toEqual` do not see it, in-process callers that keep the object
 * do. Read it with {@link mcpToolOf}.
 * @since 0.2.0
 */
export const MCP_TOOL_KEY: unique symbol = Symbol.for('dagstack.mcp.tool');

/**
 * Key of the raw MCP `CallToolResult` (every content block, `structuredContent`,
 * `isError`, `_meta`) on the `{ result, is_error, error_message? }` output of
 * a plain MCP server's `execute`. Non-enumerable, like {@link MCP_TOOL_KEY}.
 * Read it with {@link mcpResultOf}.
 * @since 0.2.0
 */
export const MCP_RESULT_KEY: unique symbol = Symbol.for('dagstack.mcp.result');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Attach `value` under `key`, invisible to JSON and enumeration. */
export function attachHidden(target: object, key: symbol, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: false,
    writable: false,
    configurable: true,
  });
}

/**
 * The MCP tool descriptor a catalogue entry carries, when it came from a
 * plain MCP server's `tools/list`.
 * @since 0.2.0
 */
export function mcpToolOf(entry: unknown): Readonly<Record<string, unknown>> | undefined {
  if (!isRecord(entry)) return undefined;
  const tool = (entry as { [MCP_TOOL_KEY]?: unknown })[MCP_TOOL_KEY];
  return isRecord(tool) ? tool : undefined;
}

/**
 * The raw MCP `CallToolResult` an `execute` output carries, when a plain MCP
 * server produced it.
 * @since 0.2.0
 */
export function mcpResultOf(output: unknown): Readonly<Record<string, unknown>> | undefined {
  if (!isRecord(output)) return undefined;
  const result = (output as { [MCP_RESULT_KEY]?: unknown })[MCP_RESULT_KEY];
  return isRecord(result) ? result : undefined;
}

/**
 * A notification an MCP server sent.
 * @since 0.2.0
 */
export interface McpNotification {
  /** The method, e.g. `notifications/resources/updated`. */
  readonly method: string;
  /** Its parameters, as sent. */
  readonly params?: Record<string, unknown> | undefined;
}

/**
 * Options of {@link McpPeer.request}.
 * @since 0.2.0
 */
export interface McpPeerRequestOptions {
  /** Cancels the request (the server gets `notifications/cancelled`). */
  readonly signal?: AbortSignal | undefined;
  /** Limit in ms. @default the session's call timeout, else none */
  readonly timeoutMs?: number | undefined;
}

/**
 * The MCP server behind one loaded plugin, as a gateway reaches it past the
 * hooks: what it announced in `initialize`, raw requests (`resources/read`,
 * `prompts/get`, ...) and its notifications. {@link WireSession} implements
 * it; a runtime's handle exposes the current one as `mcpPeer` (read it with
 * {@link mcpPeerOf}).
 * @since 0.2.0
 */
export interface McpPeer {
  /** The capabilities the server announced in `initialize`. */
  serverCapabilities(): ServerCapabilities | undefined;
  /** The `instructions` the server sent in `initialize`. */
  instructions(): string | undefined;
  /**
   * Send one request; resolves the server's result as sent. Rejects with
   * what the SDK rejects with (an `McpError` carrying the server's code).
   */
  request(
    request: { readonly method: string; readonly params?: Record<string, unknown> | undefined },
    options?: McpPeerRequestOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * Listen to the notifications the server sends (log messages, resource
   * updates, list changes; not progress or cancellation, which belong to
   * requests). Returns the function that stops listening.
   */
  onNotification(listener: (notification: McpNotification) => void): () => void;
}

/**
 * The {@link McpPeer} of a plugin handle (its `mcpPeer` member), when its
 * runtime has one and the plugin is connected.
 * @since 0.2.0
 */
export function mcpPeerOf(handle: unknown): McpPeer | undefined {
  if (typeof handle !== 'object' || handle === null) return undefined;
  const peer = (handle as { mcpPeer?: unknown }).mcpPeer;
  if (typeof peer !== 'object' || peer === null) return undefined;
  const p = peer as Partial<McpPeer>;
  return typeof p.request === 'function' &&
    typeof p.onNotification === 'function' &&
    typeof p.serverCapabilities === 'function' &&
    typeof p.instructions === 'function'
    ? (peer as McpPeer)
    : undefined;
}

/**
 * One plugin's MCP peer, as {@link ServedRegistry.peers} lists it.
 * @since 0.2.0
 */
export interface ServedPeer {
  /** The plugin's name. */
  readonly plugin: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** Its MCP server. */
  readonly peer: McpPeer;
}
