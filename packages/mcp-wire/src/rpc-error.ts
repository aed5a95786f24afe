import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** An error the SDK answers a request with, sent exactly as given: `code`, `message`, `data`. */
export type RpcError = Error & { code: number; data?: unknown };

/**
 * An error for a request handler to throw, with `message` on the wire as
 * given (an `McpError` puts `MCP error <code>: ` before it, and the
 * receiving SDK adds the same again).
 */
export function rpcError(code: number, message: string, data?: unknown): RpcError {
  const error = new Error(message) as RpcError;
  error.code = code;
  if (data !== undefined) error.data = data;
  return error;
}

/**
 * What an SDK request rejected with, passed on as the other side sent it:
 * the same code, message and data. (The SDK puts `MCP error <code>: ` before
 * the message it received; a new McpError would add one more.)
 */
export function passOn(error: unknown): RpcError {
  if (error instanceof McpError) {
    return rpcError(error.code, error.message.replace(/^MCP error -?\d+: /, ''), error.data);
  }
  return rpcError(ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
}
