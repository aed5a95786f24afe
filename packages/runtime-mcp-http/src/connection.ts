// The connection of one handle to its service: where it stands
// (ConnectionState) and its current MCP session, and how a session is
// (re)established: connect and handshake on a fresh transport and fetch
// (Streamable HTTP, or the deprecated HTTP+SSE transport of MCP 2024-11-05
// when the service answers the initialize POST with 400/404/405 and its GET
// opens an event stream),
// `dagstack/setup` with the latest parameters, a new session after the
// service lost the old one, the ping-or-reconnect of a recovery, and the
// close. It maps transport failures to typed errors and remembers what each
// failure meant (failureOf). It counts no failures and reports no states
// (breaker.ts), retries no calls (calls.ts); they use its methods only.
import {
  isPluginError,
  type KindSpec,
  type Logger,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
  PluginUnavailable,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  CATALOGUE_HOOK,
  createWireClient,
  type ErrorSite,
  openWireSession,
  type SetupParams,
} from '@dagstack/plugin-mcp-wire';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Endpoint } from './endpoint.js';
import { classify, displayUrl, type Failure, redact, unavailable } from './failures.js';
import type { ConnectionState, HttpSettings, Live } from './handle-types.js';
import { createHttpFetch } from './http-fetch.js';

/**
 * Longest reconnection delay a service may ask for with `retry:` (ms). A
 * longer one is cut to this, so a reconnection timer never outlives a call
 * (or the host) by much.
 */
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Reconnections of an event stream in a row that bring nothing new before
 * the call fails (a call is bounded by its timeout besides). Also the SDK's
 * `maxRetries`, so the SDK never stops reconnecting before the fetch fails
 * the call.
 */
const MAX_RESUMPTIONS = 3;

/** The tool kind's hooks, for a `tool` plugin whose host registered no hookspec. */
const TOOL_HOOKS = [CATALOGUE_HOOK, 'execute'];

/**
 * Answers to the initialize POST that mean the service may speak only the
 * HTTP+SSE transport of MCP 2024-11-05 (the backwards-compatibility rule of
 * the Streamable HTTP transport: on a 4xx, try `GET` for an event stream).
 */
const LEGACY_HINT_STATUS = new Set([400, 404, 405]);

/** Whether a failed Streamable HTTP handshake is worth a try of the HTTP+SSE transport. */
function mayBeLegacy(failure: unknown): boolean {
  return (
    failure instanceof StreamableHTTPError &&
    typeof failure.code === 'number' &&
    LEGACY_HINT_STATUS.has(failure.code)
  );
}

/**
 * Whether a failed HTTP+SSE handshake came from a service that speaks it: its
 * `GET` opened the event stream (or refused the credentials). A `GET` that
 * was not answered with an event stream means the service speaks neither.
 */
function answeredAsLegacy(error: unknown): boolean {
  if (!(error instanceof SseError)) return true;
  return error.code === 401 || error.code === 403;
}

/** Rejects with a handshake timeout after `ms`; `clear()` before it does. */
function deadline(ms: number): { readonly expired: Promise<never>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new McpError(ErrorCode.RequestTimeout, 'the HTTP+SSE handshake timed out')),
      ms,
    );
  });
  return { expired, clear: () => clearTimeout(timer) };
}

/** One handle's connection to its service (see the module comment). */
export class Connection {
  readonly #manifest: PluginManifest;
  readonly #kindSpec: KindSpec | undefined;
  readonly #logger: Logger;
  readonly #catalogueChanged: RuntimeLoadOptions['onCatalogueChange'];
  readonly #settings: HttpSettings;
  readonly #endpoint: Endpoint;
  /** The handle's hooks: they follow what the service announced. */
  readonly #hooks: Set<string>;
  readonly #startupMs: number;
  /** Bound of a handshake or a ping when (re)connecting. */
  readonly #reconnectMs: number;
  readonly #callTimeoutMs: number;
  readonly #failureOf = new WeakMap<object, Failure>();
  #state: ConnectionState = 'idle';
  #live: Live | undefined;
  #reestablishing: Promise<Live> | undefined;
  #params: SetupParams | undefined;
  #sessions = 0;
  /** The service was found to speak the HTTP+SSE transport (logged once at warn). */
  #legacySeen = false;

  constructor(
    manifest: PluginManifest,
    options: RuntimeLoadOptions,
    settings: HttpSettings,
    endpoint: Endpoint,
    callTimeoutMs: number,
    hooks: Set<string>,
  ) {
    this.#manifest = manifest;
    this.#kindSpec = options.kindSpec;
    this.#logger = options.logger;
    this.#catalogueChanged = options.onCatalogueChange;
    this.#settings = settings;
    this.#endpoint = endpoint;
    this.#hooks = hooks;
    this.#startupMs = manifest.startup_timeout_sec * 1000;
    this.#reconnectMs = Math.min(this.#startupMs, 10_000);
    this.#callTimeoutMs = callTimeoutMs;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The current session; `undefined` before the first one and after close. */
  get live(): Live | undefined {
    return this.#live;
  }

  /** A new session is being opened after the service lost the current one. */
  get reestablishing(): Promise<Live> | undefined {
    return this.#reestablishing;
  }

  /** Sessions opened so far (more than one after a reconnect). */
  get sessions(): number {
    return this.#sessions;
  }

  /** What a failed exchange meant, for an error this connection mapped. */
  failureOf(error: unknown): Failure | undefined {
    return this.#failureOf.get(error as object);
  }

  /** Connect and handshake for the first time; `up` when it succeeds. */
  async open(): Promise<void> {
    const live = await this.#connect(Math.min(this.#startupMs / 2, 10_000));
    this.#adopt(live);
    this.#state = 'up';
  }

  /** The service was never reached: expect the hooks the kind declares until it is. */
  presumeHooks(): void {
    const names =
      this.#kindSpec?.hooks.filter((h) => h.mcp_exposed !== false).map((h) => h.name) ??
      (this.#manifest.kind === 'tool' ? [...TOOL_HOOKS] : []);
    if (this.#kindSpec?.hooks.some((h) => h.name === CATALOGUE_HOOK)) names.push(CATALOGUE_HOOK);
    for (const hook of names) this.#hooks.add(hook);
  }

  /** No usable service: calls fail fast until {@link restore}. */
  markDown(): void {
    this.#state = 'down';
  }

  /** The parameters every session is set up with from now on. */
  useSetupParams(params: SetupParams): void {
    this.#params = params;
  }

  /** The error for a connect that failed, typed and classified. */
  connectError(error: unknown, timeoutMs: number = this.#reconnectMs): PluginRegistryError {
    if (isPluginError(error)) return error;
    const site = this.#site('connect');
    const url = this.#endpoint.url;
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      const timeout = new PluginUnavailable({
        plugin: site.plugin,
        kind: site.kind,
        reason: `the service did not complete the MCP handshake within ${timeoutMs} ms at ${displayUrl(url)}`,
        hint: 'check that the URL points at an MCP Streamable HTTP endpoint and that the service is healthy',
      });
      this.#failureOf.set(timeout, {
        retryable: true,
        sessionLost: false,
        auth: false,
        status: undefined,
        reason: 'handshake timed out',
      });
      return timeout;
    }
    const mapped = this.#mapTransport(error, site, 'connect');
    if (mapped !== undefined) {
      // 404 on the initialize request: nothing serves MCP at this URL.
      if (this.#failureOf.get(mapped)?.status !== 404) return mapped;
      return new PluginLoadError(`there is no MCP endpoint at ${displayUrl(url)} (HTTP 404)`, {
        plugin: site.plugin,
        kind: site.kind,
        path: this.#manifest.source,
        hint: 'check the url in [plugin.mcp_http]: it names the MCP endpoint itself (often ending in /mcp)',
      });
    }
    return new PluginLoadError(
      `the MCP handshake with ${displayUrl(url)} failed: ${redact(error instanceof Error ? error.message : String(error), this.#endpoint.secrets())}`,
      { plugin: site.plugin, kind: site.kind, path: this.#manifest.source },
    );
  }

  /** Send `dagstack/setup` on `live` until it carries the latest parameters. */
  async setUp(live: Live): Promise<void> {
    while (this.#params !== undefined && live.setupFor !== this.#params) {
      const params = this.#params;
      await live.session.setup(params, { timeoutMs: this.#startupMs });
      live.setupFor = params;
    }
  }

  /** Open a new session after the service forgot the old one (restart). Shared by concurrent callers. */
  reestablish(stale: Live): Promise<Live> {
    if (this.#live !== stale && this.#live !== undefined) return Promise.resolve(this.#live);
    this.#reestablishing ??= (async () => {
      this.#logger.info('the plugin service lost the session; opening a new one', {
        url: displayUrl(this.#endpoint.url),
      });
      const live = await this.#connect(this.#reconnectMs);
      try {
        await this.setUp(live);
      } catch (error) {
        this.#drop(live);
        throw error;
      }
      if (this.#state === 'stopping' || this.#state === 'stopped') {
        this.#drop(live);
        // The handle stopped meanwhile.
        throw new PluginUnavailable({
          plugin: this.#manifest.name,
          kind: this.#manifest.kind,
          state: this.#state,
        });
      }
      this.#adopt(live);
      return live;
    })().finally(() => {
      this.#reestablishing = undefined;
    });
    return this.#reestablishing;
  }

  /**
   * Bring a `down` connection back: the current session when a ping says the
   * service still knows it, else a new one; set up, adopted, and `up`.
   * `false`, with nothing adopted, when the connection left `down` meanwhile.
   */
  async restore(): Promise<boolean> {
    let live = this.#live;
    if (live !== undefined) {
      try {
        await live.client.ping({ timeout: this.#reconnectMs });
      } catch (error) {
        const failure = classify(live.http.failureOf(error) ?? error, this.#endpoint.secrets());
        if (failure?.sessionLost !== true) throw error;
        live = undefined;
      }
    }
    if (live === undefined) {
      live = await this.#connect(this.#reconnectMs);
      try {
        await this.setUp(live);
      } catch (error) {
        this.#drop(live);
        throw error;
      }
    } else {
      await this.setUp(live);
    }
    if (this.#state !== 'down') {
      if (live !== this.#live) this.#drop(live);
      return false;
    }
    if (live !== this.#live) this.#adopt(live);
    this.#state = 'up';
    return true;
  }

  /**
   * ADR-0002 §Shutdown: `dagstack/teardown`, end the session (HTTP DELETE),
   * then drop every connection, the agent's included. Resolves what the
   * plugin's teardown answered; `stopping` at once, `stopped` when done.
   */
  async close(): Promise<boolean> {
    const before = this.#state;
    this.#state = 'stopping';
    const live = this.#live;
    let released = true;
    let failure: unknown;
    try {
      if (live !== undefined && before === 'up') {
        const budget = Math.min(
          Math.max(500, (this.#manifest.teardown_timeout_sec * 1000) / 2),
          10_000,
        );
        try {
          if (live.setupFor !== undefined)
            released = await live.session.teardown({ timeoutMs: budget });
        } catch (error) {
          failure = error;
        }
        // The HTTP+SSE transport ends its session by closing the stream (below).
        if (live.transport instanceof StreamableHTTPClientTransport) {
          await Promise.race([
            live.transport.terminateSession().catch(() => undefined),
            new Promise((resolve) => setTimeout(resolve, 1000).unref()),
          ]);
        }
      }
    } finally {
      if (live !== undefined) this.#drop(live);
      this.#endpoint.close();
      this.#live = undefined;
      this.#state = 'stopped';
    }
    if (failure !== undefined) throw failure;
    return released;
  }

  #site(hook: string): ErrorSite {
    return { plugin: this.#manifest.name, kind: this.#manifest.kind, hook };
  }

  /** Map a transport failure to `PluginUnavailable` and remember its class. */
  #mapTransport(
    error: unknown,
    site: ErrorSite,
    during: 'connect' | 'call' = 'call',
  ): PluginRegistryError | undefined {
    const failure = classify(error, this.#endpoint.secrets());
    if (failure === undefined) return undefined;
    const where = displayUrl(this.#endpoint.url);
    const hint =
      failure.hint ??
      (failure.auth
        ? this.#endpoint.refusedHint
        : failure.retryable
          ? `the runtime retries and reconnects to ${where} on its own`
          : `see the service's log at ${where}`);
    const mapped = unavailable(
      failure,
      { plugin: site.plugin, kind: site.kind },
      {
        hint,
        ...(during === 'connect' ? {} : { state: this.#state === 'up' ? 'ready' : 'degraded' }),
        // A status error's text is the service's reply; it stays out of `cause`.
        ...(failure.status === undefined ? { cause: error } : {}),
      },
    );
    this.#failureOf.set(mapped, failure);
    return mapped;
  }

  /**
   * A new session: Streamable HTTP, else (see {@link mayBeLegacy}) the
   * HTTP+SSE transport. Throws the typed error of what failed.
   */
  async #connect(timeoutMs: number): Promise<Live> {
    let failure: unknown;
    try {
      return await this.#session(timeoutMs, false);
    } catch (error) {
      failure = error;
    }
    if (!mayBeLegacy(failure)) throw this.connectError(failure, timeoutMs);
    let live: Live;
    try {
      live = await this.#session(timeoutMs, true);
    } catch (error) {
      // Not an HTTP+SSE endpoint either: the Streamable HTTP answer says why.
      throw this.connectError(answeredAsLegacy(error) ? error : failure, timeoutMs);
    }
    const fields = { url: displayUrl(this.#endpoint.url) };
    const note =
      'the plugin service speaks the deprecated HTTP+SSE transport of MCP 2024-11-05; using it (move the service to Streamable HTTP)';
    if (this.#legacySeen) this.#logger.debug(note, fields);
    else this.#logger.warn(note, fields);
    this.#legacySeen = true;
    return live;
  }

  /** Connect and handshake on a fresh transport and fetch; throws what failed, unmapped. */
  async #session(timeoutMs: number, legacy: boolean): Promise<Live> {
    const { url, agent, headers, credentials } = this.#endpoint;
    const http = createHttpFetch({
      agent,
      headers,
      credentials,
      legacySse: legacy,
      maxResponseBytes: this.#settings.maxMessageBytes,
      maxRetryDelayMs: MAX_RETRY_DELAY_MS,
      maxResumptions: MAX_RESUMPTIONS,
    });
    const transport = legacy
      ? new SSEClientTransport(url, { fetch: http.fetch })
      : new StreamableHTTPClientTransport(url, {
          fetch: http.fetch,
          // The SDK resumes an event stream that ended before its response (GET
          // with Last-Event-ID) after the server's `retry`, else after these
          // delays; the fetch fails the call when resuming brings nothing.
          reconnectionOptions: {
            initialReconnectionDelay: 500,
            maxReconnectionDelay: 5000,
            reconnectionDelayGrowFactor: 2,
            maxRetries: MAX_RESUMPTIONS,
          },
        });
    // Event streams reach the SDK as they arrive, so a server request sent
    // during a call is answered during the call: forwarded to the client of
    // a gateway call, answered by the host's handlers, or refused at once.
    const client = createWireClient({
      name: 'dagstack-host',
      forwardServerRequests: true,
      ...(this.#settings.serverRequests === undefined
        ? {}
        : { serverRequests: this.#settings.serverRequests }),
    });
    client.onerror = (error) =>
      this.#logger.debug('MCP transport error', {
        error: redact(error.message, this.#endpoint.secrets()),
      });
    // The SDK bounds the initialize request, not the wait for the HTTP+SSE
    // `endpoint` event before it: both are bounded here.
    const limit = legacy ? deadline(timeoutMs) : undefined;
    try {
      const connecting = client.connect(transport, { timeout: timeoutMs });
      if (limit === undefined) await connecting;
      else {
        connecting.catch(() => undefined);
        await Promise.race([connecting, limit.expired]);
      }
      const session = openWireSession({
        client,
        manifest: this.#manifest,
        kindSpec: this.#kindSpec,
        callTimeoutMs: this.#callTimeoutMs,
        mapTransportError: (error, site) =>
          this.#mapTransport(http.failureOf(error) ?? error, site),
      });
      const changed = this.#catalogueChanged;
      if (changed !== undefined) {
        session.onNotification((notification) => {
          if (notification.method === 'notifications/tools/list_changed') changed();
        });
      }
      return { client, transport, http, session, setupFor: undefined };
    } catch (error) {
      const failure = http.failureOf(error) ?? error;
      http.abortAll();
      await client.close().catch(() => undefined);
      throw failure;
    } finally {
      limit?.clear();
    }
  }

  /** Make `live` the current session; the hooks follow what the service announced. */
  #adopt(live: Live): void {
    const previous = this.#live;
    this.#live = live;
    this.#sessions += 1;
    if (previous !== undefined && previous !== live) this.#drop(previous);
    const hooks = live.session.hooks;
    for (const hook of this.#hooks) if (!hooks.has(hook)) this.#hooks.delete(hook);
    for (const hook of hooks) this.#hooks.add(hook);
  }

  #drop(live: Live): void {
    live.http.abortAll();
    void live.client.close().catch(() => undefined);
  }
}
