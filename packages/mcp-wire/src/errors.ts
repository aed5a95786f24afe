import {
  HookCancelled,
  HookTimeout,
  isPluginError,
  PluginInvocationError,
  type PluginRegistryError,
  PluginUnavailable,
} from '@dagstack/plugin-api';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { META_KEYS } from './constants.js';
import type { WireMeta } from './metadata.js';

/**
 * A plugin error as it travels in `_meta["dagstack.dev/error"]`
 * (docs/wire.md §6).
 * @since 0.1.0
 */
export interface WireError {
  /** The error's class name (`error.name`). */
  readonly name: string;
  /** The error's string `code`, when it has one (dagstack errors always do). */
  readonly code?: string;
  /** The error's message. */
  readonly message: string;
  /** Name of the plugin whose hook threw. */
  readonly plugin?: string;
  /** Kind of that plugin. */
  readonly kind?: string;
  /** Hook that threw. */
  readonly hook?: string;
  /** Structured fields of a dagstack error, as a JSON object. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where an error happened. */
export interface ErrorSite {
  /** Name of the plugin. */
  readonly plugin: string;
  /** Kind of the plugin. */
  readonly kind: string;
  /** Hook being called. */
  readonly hook: string;
}

/** The default of the servers' `mask` options: the value as it is (internal). */
export function unmasked<T>(value: T): T {
  return value;
}

/**
 * Describe anything a hook threw as a {@link WireError}.
 * @since 0.1.0
 */
export function describeError(error: unknown, site: ErrorSite): WireError {
  if (isPluginError(error)) {
    const json = error.toJSON();
    return {
      name: json.name,
      code: json.code,
      message: json.message,
      ...site,
      ...(json.details === undefined ? {} : { details: jsonSafe(json.details) }),
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      ...(typeof code === 'string' ? { code } : {}),
      message: error.message,
      ...site,
    };
  }
  return { name: 'Error', message: String(error), ...site };
}

function jsonSafe(value: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The tool error result for a hook that threw (docs/wire.md §6).
 * @since 0.1.0
 */
export function toolErrorResult(error: WireError): {
  /** Always `true`: marks the result as a tool error. */
  isError: true;
  /** One text block reading `<name>: <message>`, for plain MCP clients. */
  content: {
    /** Always `text`. */
    type: 'text';
    /** The error as `<name>: <message>`. */
    text: string;
  }[];
  /** Holds the {@link WireError} under `dagstack.dev/error`. */
  _meta: WireMeta;
} {
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.name}: ${error.message}` }],
    _meta: { [META_KEYS.error]: error },
  };
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .filter(
      (c): c is { type: 'text'; text: string } =>
        typeof c === 'object' && c !== null && c.type === 'text' && typeof c.text === 'string',
    )
    .map((c) => c.text)
    .join('\n');
}

/**
 * The typed host error for a tool error result: {@link PluginInvocationError}
 * with the remote name and code.
 * @since 0.1.0
 */
export function errorFromToolResult(
  result: { content?: unknown; _meta?: unknown },
  site: ErrorSite,
): PluginInvocationError {
  const meta = (result._meta ?? {}) as WireMeta;
  const carried = meta[META_KEYS.error] as Partial<WireError> | undefined;
  if (typeof carried === 'object' && carried !== null && typeof carried.message === 'string') {
    return new PluginInvocationError(carried.message, {
      ...site,
      remoteName: typeof carried.name === 'string' ? carried.name : 'Error',
      ...(typeof carried.code === 'string' ? { remoteCode: carried.code } : {}),
    });
  }
  return new PluginInvocationError(textOf(result.content) || 'the tool reported an error', {
    ...site,
    remoteName: 'ToolError',
  });
}

/**
 * Map what an SDK request rejected with to a typed error of the plugin-api
 * hierarchy (docs/wire.md §6).
 *
 * - the call's signal aborted: its reason when that is a dagstack error
 *   (the dispatch deadline's `HookTimeout`), else `HookCancelled`;
 * - MCP request timeout: `HookTimeout`;
 * - connection closed: `connectionLost()` (`PluginUnavailable` by default);
 * - dagstack errors pass unchanged;
 * - a transport's own failure (an HTTP status, a refused connection): what
 *   `mapTransportError` returns for it, when given and not `undefined`;
 * - anything else is `PluginInvocationError`.
 * @since 0.1.0
 */
export function mapRequestError(
  error: unknown,
  site: ErrorSite,
  context: {
    signal?: AbortSignal | undefined;
    timeoutMs?: number | undefined;
    connectionLost?: (() => PluginRegistryError) | undefined;
    /**
     * Maps a failure the transport raised itself (not a JSON-RPC error);
     * `undefined` falls through to the default mapping.
     * @since 0.2.0
     */
    mapTransportError?:
      | ((error: unknown, site: ErrorSite) => PluginRegistryError | undefined)
      | undefined;
  } = {},
): PluginRegistryError {
  if (isPluginError(error)) return error;
  const { signal } = context;
  if (signal?.aborted === true) {
    if (isPluginError(signal.reason)) return signal.reason;
    return new HookCancelled({ ...site, cause: signal.reason });
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) {
      return new HookTimeout({ ...site, timeoutMs: context.timeoutMs ?? 0, cause: error });
    }
    if (error.code === ErrorCode.ConnectionClosed) {
      return (
        context.connectionLost?.() ??
        new PluginUnavailable({
          plugin: site.plugin,
          kind: site.kind,
          reason: 'the MCP connection closed',
          cause: error,
        })
      );
    }
    const data = error.data as Record<string, unknown> | undefined;
    const carried = data?.[META_KEYS.error] as Partial<WireError> | undefined;
    if (typeof carried === 'object' && carried !== null && typeof carried.message === 'string') {
      return new PluginInvocationError(carried.message, {
        ...site,
        remoteName: typeof carried.name === 'string' ? carried.name : 'Error',
        ...(typeof carried.code === 'string' ? { remoteCode: carried.code } : {}),
        cause: error,
      });
    }
    return new PluginInvocationError(error.message, {
      ...site,
      remoteName: 'McpError',
      remoteCode: String(error.code),
      cause: error,
    });
  }
  const mapped = context.mapTransportError?.(error, site);
  if (mapped !== undefined) return mapped;
  if (error instanceof Error && error.message === 'Not connected') {
    return (
      context.connectionLost?.() ??
      new PluginUnavailable({ plugin: site.plugin, kind: site.kind, reason: 'not connected' })
    );
  }
  return new PluginInvocationError(error instanceof Error ? error.message : String(error), {
    ...site,
    remoteName: error instanceof Error ? error.name : 'Error',
    cause: error,
  });
}
