// The PluginHandle of one `mcp_http` plugin, composed of its parts: the
// endpoint resolved from the manifest (endpoint.ts), the connection and its
// sessions (connection.ts), failure accounting with the circuit breaker and
// background recovery (breaker.ts), and hook calls with retries (calls.ts).
// It wires them together and answers the registry (start, setup, invoke,
// health, teardown, the status view); it keeps no state of theirs and uses
// their methods only.
import {
  type HealthStatus,
  type HookCall,
  type PluginContext,
  type PluginHandle,
  type PluginManifest,
  type PluginRegistryError,
  RUNTIME_MCP_HTTP,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import { type McpPeer, setupParamsFrom } from '@dagstack/plugin-mcp-wire';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Breaker } from './breaker.js';
import { Calls } from './calls.js';
import { Connection } from './connection.js';
import { resolveEndpoint } from './endpoint.js';
import { displayUrl } from './failures.js';
import type { BreakerState, ConnectionState, HttpSettings } from './handle-types.js';

export type { BreakerState, ConnectionState, HttpSettings } from './handle-types.js';

/**
 * The `PluginHandle` of one `mcp_http` plugin: a Streamable HTTP session with
 * retries, a circuit breaker and background reconnection.
 */
export class HttpPluginHandle implements PluginHandle {
  readonly manifest: PluginManifest;
  readonly runtime: typeof RUNTIME_MCP_HTTP = RUNTIME_MCP_HTTP;
  readonly hooks: Set<string> = new Set();
  readonly url: URL;
  readonly #logger: RuntimeLoadOptions['logger'];
  readonly #connection: Connection;
  readonly #breaker: Breaker;
  readonly #calls: Calls;
  readonly #healthTimeoutMs: number;
  readonly #onStopped: () => void;
  #stopping: Promise<boolean> | undefined;

  constructor(
    manifest: PluginManifest,
    options: RuntimeLoadOptions,
    settings: HttpSettings,
    onStopped: () => void,
  ) {
    const spec = manifest.mcp_http;
    if (spec === undefined) throw new Error('unreachable: checked by the runtime');
    this.manifest = manifest;
    const endpoint = resolveEndpoint(manifest, spec, settings.env, options.logger);
    this.url = endpoint.url;
    this.#logger = options.logger;
    this.#onStopped = onStopped;
    const callTimeoutMs = settings.callTimeoutMs ?? spec.timeout_sec * 1000;
    this.#healthTimeoutMs = Math.min(callTimeoutMs, 10_000);
    this.#connection = new Connection(
      manifest,
      options,
      settings,
      endpoint,
      callTimeoutMs,
      this.hooks,
    );
    this.#breaker = new Breaker(manifest, spec, options, settings, this.url, this.#connection);
    this.#calls = new Calls(
      manifest,
      spec,
      options.logger,
      settings,
      this.#connection,
      this.#breaker,
    );
  }

  /** Escape hatch: the SDK client of the current session (`undefined` while down). */
  get instance(): { readonly client: Client | undefined; readonly sessionId: string | undefined } {
    const live = this.#connection.live;
    const transport = live?.transport;
    return {
      client: live?.client,
      // The HTTP+SSE transport keeps its session id in the endpoint URL.
      sessionId:
        transport instanceof StreamableHTTPClientTransport ? transport.sessionId : undefined,
    };
  }

  /** The MCP server of the current session, past the hooks, for a gateway; `undefined` while down. */
  get mcpPeer(): McpPeer | undefined {
    return this.#connection.state === 'up' ? this.#connection.live?.session : undefined;
  }

  /** For the runtime's status view. Holds no credentials. */
  get info(): {
    state: ConnectionState;
    breaker: BreakerState;
    consecutiveFailures: number;
    sessions: number;
    lastError: string | undefined;
  } {
    return {
      state: this.#connection.state,
      breaker: this.#breaker.position,
      consecutiveFailures: this.#breaker.consecutiveFailures,
      sessions: this.#connection.sessions,
      lastError: this.#breaker.lastError,
    };
  }

  /**
   * Connect and handshake (ADR-0001 §Cold start). A service that cannot be
   * reached (or answers 502/503/504) leaves the handle `down` with a
   * background reconnect; anything else (refused credentials, a server that
   * is not this plugin) is thrown.
   */
  async start(): Promise<void> {
    try {
      await this.#connection.open();
    } catch (error) {
      // Only a service that cannot be reached (or a gateway's 502/503/504, or
      // a handshake that timed out) is waited for; anything else is final.
      const failure = this.#connection.failureOf(error);
      if (failure === undefined || !failure.retryable) throw error;
      this.#connection.presumeHooks();
      this.#logger.warn('the plugin service is not reachable; reconnecting in the background', {
        url: displayUrl(this.url),
        reason: (error as Error).message,
      });
      this.#breaker.goDown(error as PluginRegistryError, false);
    }
  }

  async setup(ctx: PluginContext): Promise<void> {
    this.#connection.useSetupParams(setupParamsFrom(this.manifest, ctx));
    const live = this.#connection.live;
    if (this.#connection.state === 'up' && live !== undefined) {
      try {
        await this.#connection.setUp(live);
      } catch (error) {
        // The registry does not tear down a plugin whose setup failed.
        await this.teardown().catch(() => undefined);
        throw error;
      }
      return;
    }
    if (this.#connection.state === 'down') {
      // Set up on the service when it is reached (see Breaker.deferSetup).
      this.#breaker.deferSetup();
      return;
    }
    throw this.#breaker.unavailable();
  }

  invoke(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    return this.#calls.invoke(hook, input, call);
  }

  async health(): Promise<HealthStatus> {
    const live = this.#connection.live;
    if (this.#connection.state === 'up' && live !== undefined) {
      return live.session.health({ timeoutMs: this.#healthTimeoutMs });
    }
    if (this.#connection.state === 'down') {
      return { status: 'degraded', message: this.#breaker.unavailable().message };
    }
    return { status: 'failing', message: this.#breaker.unavailable().message };
  }

  /**
   * ADR-0002 §Shutdown: `dagstack/teardown`, end the session (HTTP DELETE),
   * then drop every connection. Resolves what the plugin's teardown
   * answered; idempotent.
   */
  teardown(): Promise<boolean> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<boolean> {
    this.#breaker.stop();
    try {
      return await this.#connection.close();
    } finally {
      this.#onStopped();
    }
  }
}
