import {
  type KindSpec,
  type PluginHandle,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
  RUNTIME_MCP_HTTP,
  type RuntimeAdapter,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  checkMcpPlugin,
  DEFAULT_MAX_MESSAGE_BYTES,
  type ServerRequestHandlers,
} from '@dagstack/plugin-mcp-wire';
import { displayUrl } from './failures.js';
import {
  type BreakerState,
  type ConnectionState,
  HttpPluginHandle,
  type HttpSettings,
} from './handle.js';

/**
 * Options of {@link createMcpHttpRuntime}. Settings the manifest also has
 * (`timeout_sec`, `retry_attempts`, `circuit_breaker_*` in
 * `[plugin.mcp_http]`) override it when given here.
 * @since 0.1.0
 */
export interface McpHttpRuntimeOptions {
  /** Bound of one message in bytes: a JSON response body, or one event of an event stream. @default 16 MiB */
  readonly maxMessageBytes?: number;
  /** Limit of every hook call in ms. @default the manifest's `timeout_sec` (60 s) */
  readonly callTimeoutMs?: number;
  /** Retries of calls the service did not accept (refused connection, 502/503/504). */
  readonly retry?: {
    /** @default the manifest's `retry_attempts` (3) */
    readonly attempts?: number;
    /** Delay before the first retry; doubles each time, with jitter. @default 100 */
    readonly initialDelayMs?: number;
    /** @default 2000 */
    readonly maxDelayMs?: number;
  };
  /** The circuit breaker: after `threshold` failed calls in a row, calls fail fast for `cooldownMs`. */
  readonly circuitBreaker?: {
    /** @default the manifest's `circuit_breaker_threshold` (5) */
    readonly threshold?: number;
    /** @default the manifest's `circuit_breaker_cooldown_sec` (30 s) */
    readonly cooldownMs?: number;
  };
  /** Background reconnection of a service that is not reachable (capped by the breaker's cool-down). */
  readonly reconnect?: {
    /** @default 250 */
    readonly initialDelayMs?: number;
    /** @default 30000 */
    readonly maxDelayMs?: number;
  };
  /**
   * Where the environment variables the manifest's `auth` names are read
   * (`token_env`; `client_id_env` and `client_secret_env` of the OAuth
   * client-credentials grant). @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The host's answers to requests a plugin's server sends during a call
   * made by the host itself (not through a gateway): `elicitation`
   * (`elicitation/create`, form mode; schema defaults are filled in on
   * accept), `sampling` (`sampling/createMessage`), `roots` (`roots/list`).
   * Each one given is declared to the servers in `initialize`. A request
   * with no handler is refused at once (JSON-RPC -32601), so a call never
   * waits for an answer nobody gives. During a call that came through a
   * gateway (`dagstack serve`, `createRegistryServer`) the request goes to
   * that gateway's client instead.
   *
   * ```ts
   * createMcpHttpRuntime({
   *   serverRequests: {
   *     elicitation: async (params) => ({ action: 'accept', content: await askUser(params) }),
   *   },
   * });
   * ```
   * @default none
   * @since 0.2.0
   */
  readonly serverRequests?: ServerRequestHandlers;
}

/** One plugin of {@link McpHttpRuntime.connections}. Holds no credentials. @since 0.1.0 */
export interface HttpConnectionInfo {
  /** The plugin's name. */
  readonly plugin: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** The service URL without query string or fragment. */
  readonly url: string;
  /** Where the connection stands (`up`, `down` while reconnecting, ...). */
  readonly state: ConnectionState;
  /** The circuit breaker's position. */
  readonly breaker: BreakerState;
  /** Failed calls in a row since the last success; the breaker opens at its threshold. */
  readonly consecutiveFailures: number;
  /** Sessions opened so far (more than one after a reconnect). */
  readonly sessions: number;
  /** Message of the error that took the service down; `undefined` once it is back up. */
  readonly lastError: string | undefined;
}

/**
 * The `mcp_http` runtime adapter, with a view of its connections.
 * @since 0.1.0
 */
export interface McpHttpRuntime extends RuntimeAdapter {
  /** Always `mcp_http`. */
  readonly runtime: typeof RUNTIME_MCP_HTTP;
  check(manifest: PluginManifest, kindSpec: KindSpec | undefined): PluginRegistryError | undefined;
  /**
   * Check the manifest, then connect to the plugin's service and handshake. A
   * service that cannot be reached yet gives a `degraded` handle that
   * reconnects in the background; any other failure is thrown.
   */
  load(manifest: PluginManifest, options: RuntimeLoadOptions): Promise<PluginHandle>;
  /** Tear down every plugin still loaded and drop its connections. */
  close(): Promise<void>;
  /** The plugins this runtime holds and the state of their connections. */
  connections(): HttpConnectionInfo[];
}

/**
 * Create the `mcp_http` runtime: each plugin is an MCP Streamable HTTP
 * service speaking the dagstack wire, connected eagerly, with credentials
 * from the manifest (`auth.token_env`, or an OAuth access token of the
 * client-credentials grant, renewed as it expires), per-call timeouts, retries of
 * requests the service did not accept, a circuit breaker, and background
 * reconnection (ADR-0001 §Adapters, §Cold start).
 *
 * ```ts
 * const registry = new PluginRegistry({ runtimes: [createMcpHttpRuntime()] });
 * ```
 * @since 0.1.0
 */
export function createMcpHttpRuntime(options: McpHttpRuntimeOptions = {}): McpHttpRuntime {
  const settings: HttpSettings = {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    callTimeoutMs: options.callTimeoutMs,
    retryAttempts: options.retry?.attempts,
    retryInitialDelayMs: options.retry?.initialDelayMs ?? 100,
    retryMaxDelayMs: options.retry?.maxDelayMs ?? 2000,
    breakerThreshold: options.circuitBreaker?.threshold,
    breakerCooldownMs: options.circuitBreaker?.cooldownMs,
    reconnectInitialDelayMs: options.reconnect?.initialDelayMs ?? 250,
    reconnectMaxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
    env: options.env ?? process.env,
    serverRequests: options.serverRequests,
  };
  const handles = new Set<HttpPluginHandle>();

  const check = (
    manifest: PluginManifest,
    kindSpec: KindSpec | undefined,
  ): PluginRegistryError | undefined => {
    const refused = checkMcpPlugin(manifest, kindSpec, RUNTIME_MCP_HTTP);
    if (refused !== undefined) return refused;
    if (manifest.mcp_http?.url === undefined) {
      return new PluginLoadError('has no mcp_http url', {
        plugin: manifest.name,
        kind: manifest.kind,
        path: manifest.source,
        hint: 'add [plugin.mcp_http] url = "https://host/mcp" to the manifest',
      });
    }
    return undefined;
  };

  return {
    runtime: RUNTIME_MCP_HTTP,
    check,
    async load(manifest: PluginManifest, loadOptions: RuntimeLoadOptions): Promise<PluginHandle> {
      const refused = check(manifest, loadOptions.kindSpec);
      if (refused !== undefined) throw refused;
      const handle: HttpPluginHandle = new HttpPluginHandle(manifest, loadOptions, settings, () =>
        handles.delete(handle),
      );
      handles.add(handle);
      try {
        await handle.start();
      } catch (error) {
        await handle.teardown().catch(() => undefined);
        throw error;
      }
      return handle;
    },
    async close(): Promise<void> {
      await Promise.allSettled([...handles].map((handle) => handle.teardown()));
      handles.clear();
    },
    connections(): HttpConnectionInfo[] {
      return [...handles].map((handle) => ({
        plugin: handle.manifest.name,
        kind: handle.manifest.kind,
        url: displayUrl(handle.url),
        ...handle.info,
      }));
    },
  };
}

/**
 * The `mcp_http` runtime under the name of the docs' API page: the same
 * function as {@link createMcpHttpRuntime} (the primary name), callable with
 * or without `new` (`new MCPHttpAdapter(options)` returns the runtime).
 * @since 0.2.0
 */
export const MCPHttpAdapter: {
  /** Build the runtime: the same as `createMcpHttpRuntime(options)`. */
  (options?: McpHttpRuntimeOptions): McpHttpRuntime;
  /** Build the runtime with `new`: the same as `createMcpHttpRuntime(options)`. */
  new (options?: McpHttpRuntimeOptions): McpHttpRuntime;
} = function MCPHttpAdapter(options?: McpHttpRuntimeOptions): McpHttpRuntime {
  return createMcpHttpRuntime(options);
} as never;
