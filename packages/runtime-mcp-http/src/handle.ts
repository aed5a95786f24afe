import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  type HealthStatus,
  type HookCall,
  HookCancelled,
  isHookTimeout,
  isPluginError,
  isPluginInvocationError,
  type KindSpec,
  type Logger,
  type PluginContext,
  type PluginHandle,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
  PluginUnavailable,
  RUNTIME_MCP_HTTP,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  CATALOGUE_HOOK,
  createWireClient,
  type ErrorSite,
  type McpPeer,
  openWireSession,
  type ServerRequestHandlers,
  type SetupParams,
  setupParamsFrom,
  type WireSession,
} from '@dagstack/plugin-mcp-wire';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { classify, displayUrl, type Failure, redact, unavailable } from './failures.js';
import { createHttpFetch, type HttpFetch } from './http-fetch.js';

/** Everything a handle needs besides the manifest (runtime options, resolved). */
export interface HttpSettings {
  readonly maxMessageBytes: number;
  readonly callTimeoutMs: number | undefined;
  readonly retryAttempts: number | undefined;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly breakerThreshold: number | undefined;
  readonly breakerCooldownMs: number | undefined;
  readonly reconnectInitialDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly serverRequests: ServerRequestHandlers | undefined;
}

/** Where a handle stands. `down`: no usable service; calls fail fast while it reconnects. */
export type ConnectionState = 'idle' | 'up' | 'down' | 'stopping' | 'stopped';

/** The circuit breaker's position (`half_open`: a trial is in flight). */
export type BreakerState = 'closed' | 'open' | 'half_open';

interface Live {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly http: HttpFetch;
  readonly session: WireSession;
  setupFor: SetupParams | undefined;
}

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

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether a failed exchange says something about the service rather than
 * about one request: no connection, a broken one, a 5xx, refused
 * credentials, a session it keeps losing, 408/429. Other 4xx answers are the
 * request's own problem.
 */
function degrades(failure: Failure | undefined): boolean {
  if (failure === undefined) return true;
  const status = failure.status;
  if (status === undefined || failure.auth || failure.sessionLost) return true;
  return status < 400 || status >= 500 || status === 408 || status === 429;
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
function backoff(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(initialMs * 2 ** attempt, maxMs);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * The `PluginHandle` of one `mcp_http` plugin: a Streamable HTTP session with
 * retries, a circuit breaker and background reconnection.
 */
export class HttpPluginHandle implements PluginHandle {
  readonly manifest: PluginManifest;
  readonly runtime: typeof RUNTIME_MCP_HTTP = RUNTIME_MCP_HTTP;
  readonly hooks: Set<string> = new Set();
  readonly url: URL;
  readonly #kindSpec: KindSpec | undefined;
  readonly #logger: Logger;
  readonly #report: RuntimeLoadOptions['onStateChange'];
  readonly #catalogueChanged: RuntimeLoadOptions['onCatalogueChange'];
  /**
   * What the registry is told while the service is down: `unavailable` when it
   * was never reached (ADR-0001 §Cold start), `degraded` when it was up before.
   */
  #downAs: 'degraded' | 'unavailable' = 'degraded';
  readonly #settings: HttpSettings;
  readonly #headers: Record<string, string>;
  readonly #secret: string | undefined;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #startupMs: number;
  readonly #callTimeoutMs: number;
  readonly #retryAttempts: number;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #onStopped: () => void;
  readonly #failureOf = new WeakMap<object, Failure>();
  #state: ConnectionState = 'idle';
  #live: Live | undefined;
  #reestablishing: Promise<Live> | undefined;
  #params: SetupParams | undefined;
  #failures = 0;
  #breakerOpen = false;
  #probing = false;
  #recoveryAttempt = 0;
  #recoveryTimer: ReturnType<typeof setTimeout> | undefined;
  #nextAttemptAt = 0;
  #downError: PluginRegistryError | undefined;
  #sessions = 0;
  #stopping: Promise<boolean> | undefined;
  /** `degraded` was reported while calls still go to the service (state `up`). */
  #degraded = false;
  readonly #ok = (value: unknown): unknown => {
    if (this.#failures !== 0) this.#failures = 0;
    if (this.#degraded) this.#recovered();
    return value;
  };

  constructor(
    manifest: PluginManifest,
    options: RuntimeLoadOptions,
    settings: HttpSettings,
    onStopped: () => void,
  ) {
    const spec = manifest.mcp_http;
    if (spec === undefined) throw new Error('unreachable: checked by the runtime');
    this.manifest = manifest;
    this.url = new URL(spec.url);
    this.#kindSpec = options.kindSpec;
    this.#logger = options.logger;
    this.#report = options.onStateChange;
    this.#catalogueChanged = options.onCatalogueChange;
    this.#settings = settings;
    this.#onStopped = onStopped;
    this.#startupMs = manifest.startup_timeout_sec * 1000;
    this.#callTimeoutMs = settings.callTimeoutMs ?? spec.timeout_sec * 1000;
    this.#retryAttempts = settings.retryAttempts ?? spec.retry_attempts;
    this.#threshold = settings.breakerThreshold ?? spec.circuit_breaker_threshold;
    this.#cooldownMs = settings.breakerCooldownMs ?? spec.circuit_breaker_cooldown_sec * 1000;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
    const auth = spec.auth;
    let secret: string | undefined;
    if (auth !== undefined) {
      secret = auth.token_env === undefined ? auth.token : settings.env[auth.token_env];
      if (secret === undefined || secret === '') {
        throw new PluginLoadError(
          auth.token_env === undefined
            ? 'the mcp_http auth has no token'
            : `the environment variable ${auth.token_env} named by the mcp_http auth token_env is not set`,
          {
            plugin: manifest.name,
            kind: manifest.kind,
            path: manifest.source,
            hint:
              auth.token_env === undefined
                ? 'name the environment variable that holds the token in [plugin.mcp_http] auth.token_env'
                : `set ${auth.token_env} in the host's environment`,
          },
        );
      }
      headers[auth.header.toLowerCase()] =
        auth.scheme === null ? secret : `${auth.scheme} ${secret}`;
    }
    this.#headers = headers;
    this.#secret = secret;
    const tls =
      this.url.protocol === 'https:'
        ? {
            rejectUnauthorized: spec.tls_verify,
            ...(spec.tls_ca_bundle === undefined ? {} : { ca: readFileSync(spec.tls_ca_bundle) }),
          }
        : {};
    const agentOptions = { keepAlive: true, maxSockets: 64, ...tls };
    this.#agent =
      this.url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /** Escape hatch: the SDK client of the current session (`undefined` while down). */
  get instance(): { readonly client: Client | undefined; readonly sessionId: string | undefined } {
    return { client: this.#live?.client, sessionId: this.#live?.transport.sessionId };
  }

  /** The MCP server of the current session, past the hooks, for a gateway; `undefined` while down. */
  get mcpPeer(): McpPeer | undefined {
    return this.#state === 'up' ? this.#live?.session : undefined;
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
      state: this.#state,
      breaker: this.#probing ? 'half_open' : this.#breakerOpen ? 'open' : 'closed',
      consecutiveFailures: this.#failures,
      sessions: this.#sessions,
      lastError: this.#downError?.message,
    };
  }

  #site(hook: string): ErrorSite {
    return { plugin: this.manifest.name, kind: this.manifest.kind, hook };
  }

  // ---------------------------------------------------------------------------
  // Connecting
  // ---------------------------------------------------------------------------

  /**
   * Connect and handshake (ADR-0001 §Cold start). A service that cannot be
   * reached (or answers 502/503/504) leaves the handle `down` with a
   * background reconnect; anything else (refused credentials, a server that
   * is not this plugin) is thrown.
   */
  async start(): Promise<void> {
    try {
      const live = await this.#connect(Math.min(this.#startupMs / 2, 10_000));
      this.#adopt(live);
      this.#state = 'up';
    } catch (error) {
      // Only a service that cannot be reached (or a gateway's 502/503/504, or
      // a handshake that timed out) is waited for; anything else is final.
      const failure = this.#failureOf.get(error as object);
      if (failure === undefined || !failure.retryable) throw error;
      const names =
        this.#kindSpec?.hooks.filter((h) => h.mcp_exposed !== false).map((h) => h.name) ??
        (this.manifest.kind === 'tool' ? [...TOOL_HOOKS] : []);
      if (this.#kindSpec?.hooks.some((h) => h.name === CATALOGUE_HOOK)) names.push(CATALOGUE_HOOK);
      for (const hook of names) this.hooks.add(hook);
      this.#logger.warn('the plugin service is not reachable; reconnecting in the background', {
        url: displayUrl(this.url),
        reason: (error as Error).message,
      });
      this.#goDown(error as PluginRegistryError, false);
    }
  }

  /** The error for a connect that failed, typed and classified. */
  #connectError(error: unknown, timeoutMs: number): PluginRegistryError {
    if (isPluginError(error)) return error;
    const site = this.#site('connect');
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      const timeout = new PluginUnavailable({
        plugin: site.plugin,
        kind: site.kind,
        reason: `the service did not complete the MCP handshake within ${timeoutMs} ms at ${displayUrl(this.url)}`,
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
      return new PluginLoadError(`there is no MCP endpoint at ${displayUrl(this.url)} (HTTP 404)`, {
        plugin: site.plugin,
        kind: site.kind,
        path: this.manifest.source,
        hint: 'check the url in [plugin.mcp_http]: it names the MCP endpoint itself (often ending in /mcp)',
      });
    }
    return new PluginLoadError(
      `the MCP handshake with ${displayUrl(this.url)} failed: ${redact(error instanceof Error ? error.message : String(error), this.#secret)}`,
      { plugin: site.plugin, kind: site.kind, path: this.manifest.source },
    );
  }

  /** Map a transport failure to `PluginUnavailable` and remember its class. */
  #mapTransport(
    error: unknown,
    site: ErrorSite,
    during: 'connect' | 'call' = 'call',
  ): PluginRegistryError | undefined {
    const failure = classify(error, this.#secret);
    if (failure === undefined) return undefined;
    const where = displayUrl(this.url);
    const hint =
      failure.hint ??
      (failure.auth
        ? this.manifest.mcp_http?.auth?.token_env === undefined
          ? 'check the token the manifest gives for this service'
          : `check the token in ${this.manifest.mcp_http.auth.token_env}`
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

  async #connect(timeoutMs: number): Promise<Live> {
    const http = createHttpFetch({
      agent: this.#agent,
      headers: this.#headers,
      maxResponseBytes: this.#settings.maxMessageBytes,
      maxRetryDelayMs: MAX_RETRY_DELAY_MS,
      maxResumptions: MAX_RESUMPTIONS,
    });
    const transport = new StreamableHTTPClientTransport(this.url, {
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
      this.#logger.debug('MCP transport error', { error: redact(error.message, this.#secret) });
    try {
      await client.connect(transport, { timeout: timeoutMs });
      const session = openWireSession({
        client,
        manifest: this.manifest,
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
      throw this.#connectError(failure, timeoutMs);
    }
  }

  /** Make `live` the current session; the hooks follow what the service announced. */
  #adopt(live: Live): void {
    const previous = this.#live;
    this.#live = live;
    this.#sessions += 1;
    if (previous !== undefined && previous !== live) this.#drop(previous);
    const hooks = live.session.hooks;
    for (const hook of this.hooks) if (!hooks.has(hook)) this.hooks.delete(hook);
    for (const hook of hooks) this.hooks.add(hook);
  }

  #drop(live: Live): void {
    live.http.abortAll();
    void live.client.close().catch(() => undefined);
  }

  /** Send `dagstack/setup` on `live` until it carries the latest parameters. */
  async #setUp(live: Live): Promise<void> {
    while (this.#params !== undefined && live.setupFor !== this.#params) {
      const params = this.#params;
      await live.session.setup(params, { timeoutMs: this.#startupMs });
      live.setupFor = params;
    }
  }

  /** Open a new session after the service forgot the old one (restart). Shared by concurrent callers. */
  #reestablish(stale: Live): Promise<Live> {
    if (this.#live !== stale && this.#live !== undefined) return Promise.resolve(this.#live);
    this.#reestablishing ??= (async () => {
      this.#logger.info('the plugin service lost the session; opening a new one', {
        url: displayUrl(this.url),
      });
      const live = await this.#connect(Math.min(this.#startupMs, 10_000));
      try {
        await this.#setUp(live);
      } catch (error) {
        this.#drop(live);
        throw error;
      }
      if (this.#state === 'stopping' || this.#state === 'stopped') {
        this.#drop(live);
        throw this.#unavailable();
      }
      this.#adopt(live);
      return live;
    })().finally(() => {
      this.#reestablishing = undefined;
    });
    return this.#reestablishing;
  }

  // ---------------------------------------------------------------------------
  // Failure accounting: circuit breaker and background recovery
  // ---------------------------------------------------------------------------

  /**
   * Count a failed call toward the breaker. `degrade`: the failure was the
   * service's (see {@link degrades}); the plugin is reported `degraded` while
   * calls still go to the service, and `ready` after the next success.
   */
  #recordFailure(error: PluginRegistryError, degrade: boolean): void {
    this.#failures += 1;
    if (this.#state === 'up' && this.#failures < this.#threshold) {
      if (degrade && !this.#degraded) this.#degrade(error);
      return;
    }
    if (this.#state === 'up' && this.#failures >= this.#threshold) {
      this.#logger.error('circuit breaker opened', {
        url: displayUrl(this.url),
        consecutiveFailures: this.#failures,
        cooldownMs: this.#cooldownMs,
        error: error.message,
      });
      this.#goDown(
        new PluginUnavailable({
          plugin: this.manifest.name,
          kind: this.manifest.kind,
          state: 'degraded',
          reason: `the circuit breaker opened after ${this.#failures} consecutive failures (last: ${error.message})`,
          hint: `calls fail fast; a trial call goes to the service after ${this.#cooldownMs} ms`,
          cause: error,
        }),
        true,
      );
    }
  }

  /** Calls fail at the transport level but still go out: report `degraded`. */
  #degrade(error: PluginRegistryError): void {
    this.#degraded = true;
    const reason =
      error instanceof PluginUnavailable ? (error.reason ?? error.message) : error.message;
    this.#logger.warn('calls to the plugin service fail; reporting the plugin degraded', {
      url: displayUrl(this.url),
      consecutiveFailures: this.#failures,
      error: error.message,
    });
    this.#report?.(
      'degraded',
      new PluginUnavailable({
        plugin: this.manifest.name,
        kind: this.manifest.kind,
        state: 'degraded',
        reason: `calls to ${displayUrl(this.url)} fail (${this.#failures} in a row; last: ${reason})`,
        hint: `the runtime keeps sending calls, opens the circuit breaker after ${this.#threshold} failures in a row, and reports the plugin ready after the next call that succeeds`,
        cause: error,
      }),
    );
  }

  /** A call succeeded after {@link #degrade}: report `ready` again. */
  #recovered(): void {
    this.#degraded = false;
    if (this.#state !== 'up') return;
    this.#logger.info('calls to the plugin service succeed again', { url: displayUrl(this.url) });
    this.#report?.('ready');
  }

  /** No usable service: fail calls fast, report `degraded`, recover in the background. */
  #goDown(error: PluginRegistryError, breaker: boolean): void {
    this.#degraded = false;
    this.#state = 'down';
    this.#breakerOpen = breaker;
    this.#downError = error;
    this.#recoveryAttempt = 0;
    this.#downAs = 'degraded';
    this.#report?.('degraded', error);
    this.#scheduleRecovery(breaker ? this.#cooldownMs : this.#recoveryDelay());
  }

  #recoveryDelay(): number {
    const cap = Math.min(this.#settings.reconnectMaxDelayMs, this.#cooldownMs);
    return backoff(this.#recoveryAttempt, this.#settings.reconnectInitialDelayMs, cap);
  }

  #scheduleRecovery(delayMs: number): void {
    if (this.#recoveryTimer !== undefined) clearTimeout(this.#recoveryTimer);
    this.#nextAttemptAt = Date.now() + delayMs;
    this.#recoveryTimer = setTimeout(() => void this.#recover(), delayMs);
    this.#recoveryTimer.unref?.();
  }

  /** One recovery attempt: ping the session, or open a new one; then `ready` or wait and retry. */
  async #recover(): Promise<void> {
    this.#recoveryTimer = undefined;
    if (this.#state !== 'down') return;
    this.#probing = true;
    try {
      let live = this.#live;
      if (live !== undefined) {
        try {
          await live.client.ping({ timeout: Math.min(this.#startupMs, 10_000) });
        } catch (error) {
          const failure = classify(live.http.failureOf(error) ?? error, this.#secret);
          if (failure?.sessionLost !== true) throw error;
          live = undefined;
        }
      }
      if (live === undefined) {
        live = await this.#connect(Math.min(this.#startupMs, 10_000));
        try {
          await this.#setUp(live);
        } catch (error) {
          this.#drop(live);
          throw error;
        }
      } else {
        await this.#setUp(live);
      }
      if (this.#state !== 'down') {
        if (live !== this.#live) this.#drop(live);
        return;
      }
      if (live !== this.#live) this.#adopt(live);
      this.#state = 'up';
      this.#breakerOpen = false;
      this.#failures = 0;
      this.#downError = undefined;
      this.#logger.info('the plugin service is reachable again', {
        url: displayUrl(this.url),
        sessions: this.#sessions,
      });
      this.#report?.('ready');
    } catch (error) {
      if (this.#state !== 'down') return;
      const reason = this.#connectError(error, Math.min(this.#startupMs, 10_000));
      this.#recoveryAttempt += 1;
      const delay = this.#breakerOpen ? this.#cooldownMs : this.#recoveryDelay();
      this.#downError = new PluginUnavailable({
        plugin: this.manifest.name,
        kind: this.manifest.kind,
        state: 'degraded',
        reason: `${this.#breakerOpen ? 'the circuit breaker is open' : 'the service is not reachable'}; attempt ${this.#recoveryAttempt} failed: ${(reason as PluginUnavailable).reason ?? reason.message}`,
        hint: `the runtime tries again in ${Math.round(delay)} ms`,
      });
      this.#logger.debug('reconnect attempt failed', {
        url: displayUrl(this.url),
        attempt: this.#recoveryAttempt,
        error: reason.message,
      });
      this.#report?.(this.#downAs, this.#downError);
      this.#scheduleRecovery(delay);
    } finally {
      this.#probing = false;
    }
  }

  #unavailable(): PluginUnavailable {
    if (this.#state === 'down' && this.#downError !== undefined) {
      return this.#downError instanceof PluginUnavailable
        ? this.#downError
        : new PluginUnavailable({
            plugin: this.manifest.name,
            kind: this.manifest.kind,
            state: 'degraded',
            reason: this.#downError.message,
          });
    }
    return new PluginUnavailable({
      plugin: this.manifest.name,
      kind: this.manifest.kind,
      state: this.#state === 'stopping' || this.#state === 'stopped' ? this.#state : 'not started',
      ...(this.#state === 'down'
        ? { hint: `next reconnect attempt in ${Math.max(0, this.#nextAttemptAt - Date.now())} ms` }
        : {}),
    });
  }

  // ---------------------------------------------------------------------------
  // PluginHandle
  // ---------------------------------------------------------------------------

  async setup(ctx: PluginContext): Promise<void> {
    this.#params = setupParamsFrom(this.manifest, ctx);
    const live = this.#live;
    if (this.#state === 'up' && live !== undefined) {
      try {
        await this.#setUp(live);
      } catch (error) {
        // The registry does not tear down a plugin whose setup failed.
        await this.teardown().catch(() => undefined);
        throw error;
      }
      return;
    }
    if (this.#state === 'down') {
      // Set up on the service when it is reached. The registry applies this
      // report when setup returns: the plugin starts `unavailable` with the
      // reason, and becomes `ready` when the background reconnect succeeds.
      this.#downAs = 'unavailable';
      this.#report?.('unavailable', this.#downError);
      return;
    }
    throw this.#unavailable();
  }

  invoke(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    const live = this.#live;
    if (this.#state === 'up' && live !== undefined && this.#reestablishing === undefined) {
      return live.session
        .invoke(hook, input, call)
        .then(this.#ok, (error: unknown) => this.#failed(error, live, hook, input, call, 0, false));
    }
    return this.#invokeSlow(hook, input, call, 0, false);
  }

  async #invokeSlow(
    hook: string,
    input: unknown,
    call: HookCall,
    attempt: number,
    renewed: boolean,
  ): Promise<unknown> {
    if (this.#reestablishing !== undefined && this.#state === 'up') {
      try {
        await this.#reestablishing;
      } catch {
        // The call then fails below or on its own attempt.
      }
    }
    const live = this.#live;
    if (this.#state !== 'up' || live === undefined) throw this.#unavailable();
    try {
      return this.#ok(await live.session.invoke(hook, input, call));
    } catch (error) {
      return this.#failed(error, live, hook, input, call, attempt, renewed);
    }
  }

  /** A call failed: retry what is safe to retry, re-open a lost session, count the rest. */
  async #failed(
    error: unknown,
    live: Live,
    hook: string,
    input: unknown,
    call: HookCall,
    attempt: number,
    renewed: boolean,
  ): Promise<unknown> {
    const failure = this.#failureOf.get(error as object);
    if (failure === undefined) {
      // The plugin's own error, a cancellation, a deadline: the service answered.
      if (isHookTimeout(error) && !call.signal.aborted) this.#recordFailure(error, false);
      // The plugin's own error came back over the wire: the service answers,
      // which ends a run of transport failures as a success does.
      else if (isPluginInvocationError(error)) this.#ok(undefined);
      throw error;
    }
    if (failure.sessionLost && !renewed && this.#state === 'up') {
      try {
        await this.#reestablish(live);
      } catch (reopenError) {
        const typed = isPluginError(reopenError) ? reopenError : this.#connectError(reopenError, 0);
        const reopenFailure = this.#failureOf.get(typed);
        if (reopenFailure?.retryable === true && attempt < this.#retryAttempts) {
          return this.#retry(hook, input, call, attempt, false, typed);
        }
        this.#recordFailure(typed, true);
        throw typed;
      }
      // 404 (or a 400 about the session) on a known session: the request was
      // never processed, so it is sent once more on the new session.
      return this.#invokeSlow(hook, input, call, attempt, true);
    }
    if (failure.retryable && attempt < this.#retryAttempts && this.#state === 'up') {
      return this.#retry(hook, input, call, attempt, renewed, error as PluginRegistryError);
    }
    this.#recordFailure(error as PluginRegistryError, degrades(failure));
    throw error;
  }

  async #retry(
    hook: string,
    input: unknown,
    call: HookCall,
    attempt: number,
    renewed: boolean,
    error: PluginRegistryError,
  ): Promise<unknown> {
    const delay = backoff(
      attempt,
      this.#settings.retryInitialDelayMs,
      this.#settings.retryMaxDelayMs,
    );
    this.#logger.debug('retrying a call the service did not accept', {
      hook,
      attempt: attempt + 1,
      of: this.#retryAttempts,
      delayMs: Math.round(delay),
      error: error.message,
    });
    try {
      await sleep(delay, call.signal);
    } catch (reason) {
      throw isPluginError(reason)
        ? reason
        : new HookCancelled({ ...this.#site(hook), cause: reason });
    }
    return this.#invokeSlow(hook, input, call, attempt + 1, renewed);
  }

  async health(): Promise<HealthStatus> {
    const live = this.#live;
    if (this.#state === 'up' && live !== undefined) {
      return live.session.health({ timeoutMs: Math.min(this.#callTimeoutMs, 10_000) });
    }
    if (this.#state === 'down') {
      return { status: 'degraded', message: this.#unavailable().message };
    }
    return { status: 'failing', message: this.#unavailable().message };
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
    const before = this.#state;
    this.#state = 'stopping';
    if (this.#recoveryTimer !== undefined) clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = undefined;
    const live = this.#live;
    let released = true;
    let failure: unknown;
    try {
      if (live !== undefined && before === 'up') {
        const budget = Math.min(
          Math.max(500, (this.manifest.teardown_timeout_sec * 1000) / 2),
          10_000,
        );
        try {
          if (live.setupFor !== undefined)
            released = await live.session.teardown({ timeoutMs: budget });
        } catch (error) {
          failure = error;
        }
        await Promise.race([
          live.transport.terminateSession().catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, 1000).unref()),
        ]);
      }
    } finally {
      if (live !== undefined) this.#drop(live);
      this.#agent.destroy();
      this.#live = undefined;
      this.#state = 'stopped';
      this.#onStopped();
    }
    if (failure !== undefined) throw failure;
    return released;
  }
}
