import {
  type KindSpec,
  type PluginHandle,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
  RUNTIME_MCP_STDIO,
  type RuntimeAdapter,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  checkMcpPlugin,
  DEFAULT_MAX_MESSAGE_BYTES,
  type ServerRequestHandlers,
} from '@dagstack/plugin-mcp-wire';
import { type HandleSettings, StdioPluginHandle } from './handle.js';

/** Options of {@link createMcpStdioRuntime}. @since 0.1.0 */
export interface McpStdioRuntimeOptions {
  /**
   * Bound of one message in bytes, each direction. A child that sends more is
   * ended and restarted; a larger request is refused before it is sent.
   * @default 16 MiB
   */
  readonly maxMessageBytes?: number;
  /** Limit of every hook call in ms, besides the caller's own deadline. @default none */
  readonly callTimeoutMs?: number;
  /** Restart policy after a crash. */
  readonly restart?: {
    /** Restarts tried in a row before the plugin becomes `unavailable`. @default 5 */
    readonly maxAttempts?: number;
    /** Delay before the first restart; doubles each time. @default 250 */
    readonly initialDelayMs?: number;
    /** Cap of the delay. @default 10000 */
    readonly maxDelayMs?: number;
    /** A process that ran this long resets the count of failures. @default 30000 */
    readonly stableAfterMs?: number;
  };
  /** Shutdown timings (ADR-0002 §Shutdown order). */
  readonly shutdown?: {
    /** After stdin is closed, how long the child may take to exit. @default 2000 */
    readonly exitWaitMs?: number;
    /** After SIGTERM, how long before SIGKILL. @default 5000 */
    readonly killGraceMs?: number;
  };
  /** Host variables passed to every child besides the minimal set (names only; values are read at spawn). */
  readonly inheritEnv?: readonly string[];
  /**
   * The host's answers to requests a plugin's server sends during a call
   * made by the host itself (not through a gateway): `elicitation` (form
   * mode; schema defaults are filled in on accept), `sampling`, `roots`.
   * Each one given is declared in `initialize`; a request with no handler is
   * refused at once (JSON-RPC -32601). During a gateway call the request
   * goes to the gateway's client instead.
   * @default none
   * @since 0.2.0
   */
  readonly serverRequests?: ServerRequestHandlers;
}

/** One process of {@link McpStdioRuntime.processes}. @since 0.1.0 */
export interface StdioProcessInfo {
  /** The plugin's name. */
  readonly plugin: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** Process id of the current child; `undefined` when none is running. */
  readonly pid: number | undefined;
  /** Where the process stands; `failed` once restarts were given up. */
  readonly state: 'idle' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';
  /** Successful restarts after crashes so far. */
  readonly restarts: number;
}

/**
 * The `mcp_stdio` runtime adapter, with a view of the processes it runs.
 * @since 0.1.0
 */
export interface McpStdioRuntime extends RuntimeAdapter {
  /** Always `mcp_stdio`. */
  readonly runtime: typeof RUNTIME_MCP_STDIO;
  check(manifest: PluginManifest, kindSpec: KindSpec | undefined): PluginRegistryError | undefined;
  /** Check the manifest, then start the plugin's child process and handshake with it. */
  load(manifest: PluginManifest, options: RuntimeLoadOptions): Promise<PluginHandle>;
  /** Tear down every plugin still loaded and wait until their processes are gone. */
  close(): Promise<void>;
  /** The plugins this runtime holds and their processes. */
  processes(): StdioProcessInfo[];
}

/**
 * Create the `mcp_stdio` runtime: each plugin is a child process speaking the
 * dagstack MCP wire on stdin/stdout, started eagerly from the manifest's
 * `command` in the plugin folder with a minimal environment, restarted with
 * backoff when it crashes, and shut down process group and all.
 *
 * ```ts
 * const registry = new PluginRegistry({ runtimes: [createMcpStdioRuntime()] });
 * ```
 * @since 0.1.0
 */
export function createMcpStdioRuntime(options: McpStdioRuntimeOptions = {}): McpStdioRuntime {
  const settings: HandleSettings = {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    callTimeoutMs: options.callTimeoutMs,
    restart: {
      maxAttempts: options.restart?.maxAttempts ?? 5,
      initialDelayMs: options.restart?.initialDelayMs ?? 250,
      maxDelayMs: options.restart?.maxDelayMs ?? 10_000,
      stableAfterMs: options.restart?.stableAfterMs ?? 30_000,
    },
    shutdown: {
      exitWaitMs: options.shutdown?.exitWaitMs ?? 2000,
      killGraceMs: options.shutdown?.killGraceMs ?? 5000,
    },
    inheritEnv: options.inheritEnv ?? [],
    serverRequests: options.serverRequests,
  };
  const handles = new Set<StdioPluginHandle>();

  const check = (
    manifest: PluginManifest,
    kindSpec: KindSpec | undefined,
  ): PluginRegistryError | undefined => {
    const refused = checkMcpPlugin(manifest, kindSpec, RUNTIME_MCP_STDIO);
    if (refused !== undefined) return refused;
    if ((manifest.mcp_stdio?.command.length ?? 0) === 0) {
      return new PluginLoadError('has no mcp_stdio command', {
        plugin: manifest.name,
        kind: manifest.kind,
        path: manifest.source,
        hint: 'add [plugin.mcp_stdio] command = ["node", "server.js"] to the manifest',
      });
    }
    return undefined;
  };

  return {
    runtime: RUNTIME_MCP_STDIO,
    check,
    async load(manifest: PluginManifest, loadOptions: RuntimeLoadOptions): Promise<PluginHandle> {
      const refused = check(manifest, loadOptions.kindSpec);
      if (refused !== undefined) throw refused;
      const handle: StdioPluginHandle = new StdioPluginHandle(manifest, loadOptions, settings, () =>
        handles.delete(handle),
      );
      handles.add(handle);
      try {
        await handle.start();
      } catch (error) {
        handles.delete(handle);
        throw error;
      }
      return handle;
    },
    async close(): Promise<void> {
      await Promise.allSettled([...handles].map((handle) => handle.teardown()));
      handles.clear();
    },
    processes(): StdioProcessInfo[] {
      return [...handles].map((handle) => ({
        plugin: handle.manifest.name,
        kind: handle.manifest.kind,
        ...handle.info,
      }));
    },
  };
}

/**
 * The `mcp_stdio` runtime under the name of the docs' API page: the same
 * function as {@link createMcpStdioRuntime} (the primary name), callable with
 * or without `new` (`new MCPStdioAdapter(options)` returns the runtime).
 * @since 0.2.0
 */
export const MCPStdioAdapter: {
  /** Build the runtime: the same as `createMcpStdioRuntime(options)`. */
  (options?: McpStdioRuntimeOptions): McpStdioRuntime;
  /** Build the runtime with `new`: the same as `createMcpStdioRuntime(options)`. */
  new (options?: McpStdioRuntimeOptions): McpStdioRuntime;
} = function MCPStdioAdapter(options?: McpStdioRuntimeOptions): McpStdioRuntime {
  return createMcpStdioRuntime(options);
} as never;
