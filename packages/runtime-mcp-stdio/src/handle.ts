import { isAbsolute, resolve } from 'node:path';
import {
  type HealthStatus,
  type HookCall,
  HookCancelled,
  HookTimeout,
  isPluginError,
  type KindSpec,
  type Logger,
  type PluginContext,
  type PluginHandle,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
  PluginUnavailable,
  RUNTIME_MCP_STDIO,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  createWireClient,
  type McpPeer,
  openWireSession,
  type ServerRequestHandlers,
  type SetupParams,
  setupParamsFrom,
  type WireSession,
} from '@dagstack/plugin-mcp-wire';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ChildProcessTransport, type ShutdownTimings } from './child-transport.js';
import { childEnvironment } from './env.js';

/** Restart policy after a crash. */
export interface RestartSettings {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly stableAfterMs: number;
}

/** Everything a handle needs besides the manifest. */
export interface HandleSettings {
  readonly maxMessageBytes: number;
  readonly callTimeoutMs: number | undefined;
  readonly restart: RestartSettings;
  readonly shutdown: ShutdownTimings;
  readonly inheritEnv: readonly string[];
  readonly serverRequests: ServerRequestHandlers | undefined;
}

type HandleState = 'idle' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';

interface Live {
  readonly transport: ChildProcessTransport;
  readonly client: Client;
  session: WireSession | undefined;
  readonly startedAt: number;
  garbageReported: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

function describeExit(transport: ChildProcessTransport): string {
  const exit = transport.exit;
  if (exit === undefined) return 'closed its stdout';
  return exit.signal !== null
    ? `was killed by ${exit.signal}`
    : `exited with code ${exit.code ?? 'unknown'}`;
}

/**
 * The `PluginHandle` of one `mcp_stdio` plugin: a child process speaking the
 * dagstack wire, restarted with backoff when it crashes.
 */
export class StdioPluginHandle implements PluginHandle {
  readonly manifest: PluginManifest;
  readonly runtime: typeof RUNTIME_MCP_STDIO = RUNTIME_MCP_STDIO;
  readonly hooks: Set<string> = new Set();
  readonly #kindSpec: KindSpec | undefined;
  readonly #logger: Logger;
  readonly #report: RuntimeLoadOptions['onStateChange'];
  readonly #catalogueChanged: RuntimeLoadOptions['onCatalogueChange'];
  readonly #settings: HandleSettings;
  readonly #command: string;
  readonly #args: readonly string[];
  readonly #cwd: string;
  readonly #env: Record<string, string>;
  readonly #startupMs: number;
  readonly #onStopped: () => void;
  #state: HandleState = 'idle';
  #live: Live | undefined;
  #pending: Live | undefined;
  #setupParams: SetupParams | undefined;
  #failures = 0;
  #restarts = 0;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #waiters: Waiter[] = [];
  #lastError: PluginRegistryError | undefined;
  #stopping: Promise<boolean> | undefined;

  constructor(
    manifest: PluginManifest,
    options: RuntimeLoadOptions,
    settings: HandleSettings,
    onStopped: () => void,
  ) {
    this.manifest = manifest;
    this.#kindSpec = options.kindSpec;
    this.#logger = options.logger;
    this.#report = options.onStateChange;
    this.#catalogueChanged = options.onCatalogueChange;
    this.#settings = settings;
    this.#onStopped = onStopped;
    const stdio = manifest.mcp_stdio;
    const command = stdio?.command ?? [];
    const dir =
      options.dir ??
      (manifest.source === 'inline' || manifest.source.startsWith('env:')
        ? process.cwd()
        : resolve(manifest.source, '..'));
    this.#cwd =
      stdio?.working_dir === undefined
        ? dir
        : isAbsolute(stdio.working_dir)
          ? stdio.working_dir
          : resolve(dir, stdio.working_dir);
    const program = command[0] ?? '';
    this.#command =
      program.startsWith('./') || program.startsWith('../') ? resolve(this.#cwd, program) : program;
    this.#args = command.slice(1);
    this.#env = childEnvironment({
      manifestEnv: stdio?.env ?? {},
      plugin: manifest.name,
      kind: manifest.kind,
      extraInherited: settings.inheritEnv,
    });
    this.#startupMs = (stdio?.startup_timeout_sec ?? manifest.startup_timeout_sec) * 1000;
  }

  /** Escape hatch: the child's pid and the SDK client of the current process. */
  get instance(): { readonly pid: number | undefined; readonly client: Client | undefined } {
    const live = this.#live;
    return { pid: live?.transport.pid, client: live?.client };
  }

  /**
   * The MCP server of the current process, past the hooks (resources,
   * prompts, notifications) for a gateway; `undefined` while none runs. A
   * restart brings a new one.
   */
  get mcpPeer(): McpPeer | undefined {
    return this.#state === 'running' ? this.#live?.session : undefined;
  }

  /** For the runtime's status view. */
  get info(): { pid: number | undefined; state: HandleState; restarts: number } {
    return { pid: this.#live?.transport.pid, state: this.#state, restarts: this.#restarts };
  }

  #site(hook: string): { plugin: string; kind: string; hook: string } {
    return { plugin: this.manifest.name, kind: this.manifest.kind, hook };
  }

  /** Spawn, handshake, check: the eager start of ADR-0001 §Cold start. */
  async start(): Promise<void> {
    const live = await this.#spawn();
    this.#live = live;
    for (const hook of live.session?.hooks ?? []) this.hooks.add(hook);
    this.#state = 'running';
  }

  async #spawn(): Promise<Live> {
    const m = this.manifest;
    const transport = new ChildProcessTransport({
      command: this.#command,
      args: this.#args,
      cwd: this.#cwd,
      env: this.#env,
      maxMessageBytes: this.#settings.maxMessageBytes,
      logger: this.#logger,
      plugin: m.name,
      kind: m.kind,
    });
    // Elicitation and sampling are declared: over stdio a server request
    // arrives during its call, so the session forwards it to a gateway client,
    // answers it with the host's handlers (serverRequests), or refuses it at once.
    const client = createWireClient({
      name: 'dagstack-host',
      forwardServerRequests: true,
      ...(this.#settings.serverRequests === undefined
        ? {}
        : { serverRequests: this.#settings.serverRequests }),
    });
    const live: Live = {
      transport,
      client,
      session: undefined,
      startedAt: Date.now(),
      garbageReported: false,
    };
    this.#pending = live;
    transport.onGarbage = (error) => this.#garbage(live, error);
    client.onerror = (error) => this.#logger.debug('MCP transport error', { error: error.message });
    client.onclose = () => this.#closed(live);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        client.connect(transport),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new HookTimeout({
                  ...this.#site('load'),
                  path: m.source,
                  timeoutMs: this.#startupMs,
                  hint: `the process did not complete the MCP handshake; check that "${[this.#command, ...this.#args].join(' ')}" starts an MCP server on stdio${transport.stderr.tail() ? `; its stderr said: ${transport.stderr.tail()}` : ''}`,
                }),
              ),
            this.#startupMs,
          );
        }),
      ]);
      live.session = openWireSession({
        client,
        manifest: m,
        kindSpec: this.#kindSpec,
        callTimeoutMs: this.#settings.callTimeoutMs,
        connectionLost: () => this.#lostError(live),
      });
      const changed = this.#catalogueChanged;
      if (changed !== undefined) {
        live.session.onNotification((notification) => {
          if (notification.method === 'notifications/tools/list_changed') changed();
        });
      }
      return live;
    } catch (error) {
      await transport.terminate({ exitWaitMs: 0, killGraceMs: 1000 });
      throw this.#startError(error, transport);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (this.#pending === live) this.#pending = undefined;
    }
  }

  #startError(error: unknown, transport: ChildProcessTransport): PluginRegistryError {
    if (isPluginError(error)) return error;
    const tail = transport.stderr.tail();
    return new PluginLoadError(
      `the plugin process ${transport.exit === undefined ? 'failed the MCP handshake' : describeExit(transport)} during start-up: ${error instanceof Error ? error.message : String(error)}`,
      {
        plugin: this.manifest.name,
        kind: this.manifest.kind,
        path: this.manifest.source,
        cause: error,
        hint: tail
          ? `its stderr said: ${tail}`
          : 'run the command by hand to see why it does not start',
      },
    );
  }

  /** The error in-flight calls get when the process goes away. */
  #lostError(live: Live): PluginRegistryError {
    const transport = live.transport;
    if (transport.fatal !== undefined) return transport.fatal;
    const exit = transport.exit;
    return new PluginUnavailable({
      plugin: this.manifest.name,
      kind: this.manifest.kind,
      state: this.#state === 'stopping' || this.#state === 'stopped' ? this.#state : 'degraded',
      reason: `its process (pid ${transport.pid ?? '?'}) ${describeExit(transport)}`,
      ...(exit?.code === null || exit?.code === undefined ? {} : { exitCode: exit.code }),
      ...(exit?.signal === null || exit?.signal === undefined ? {} : { signal: exit.signal }),
      hint:
        this.#state === 'stopping' || this.#state === 'stopped'
          ? 'the plugin is being torn down'
          : 'the runtime restarts it; see the plugin log (its stderr) for the cause',
    });
  }

  #garbage(live: Live, error: Error): void {
    this.#logger.error(
      'the plugin wrote a line to stdout that is not an MCP message; a stdio plugin must write logs to stderr',
      { error: error.message.slice(0, 300) },
    );
    if (live.garbageReported || live !== this.#live || this.#state !== 'running') return;
    live.garbageReported = true;
    this.#report?.(
      'degraded',
      new PluginUnavailable({
        plugin: this.manifest.name,
        kind: this.manifest.kind,
        state: 'degraded',
        reason: `its stdout carried output that is not an MCP message (${error.message.slice(0, 120)})`,
        hint: 'write logs to stderr (console.error, a logger); servePlugin() redirects console output there',
      }),
    );
  }

  /** The transport closed: a crash unless we are stopping. */
  #closed(live: Live): void {
    if (live !== this.#live) return;
    if (this.#state !== 'running') return;
    const error = this.#lostError(live);
    this.#live = undefined;
    this.#logger.error('the plugin process ended unexpectedly', {
      pid: live.transport.pid,
      exitCode: live.transport.exit?.code ?? null,
      signal: live.transport.exit?.signal ?? null,
      reason: error.message,
      stderr: live.transport.stderr.tail(),
    });
    // Its children may still run: end the group in the background.
    void live.transport.terminate({
      exitWaitMs: 0,
      killGraceMs: this.#settings.shutdown.killGraceMs,
    });
    this.#crashed(error, live.startedAt);
  }

  #crashed(error: PluginRegistryError, startedAt: number): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const restart = this.#settings.restart;
    if (Date.now() - startedAt >= restart.stableAfterMs) this.#failures = 0;
    this.#failures += 1;
    this.#lastError = error;
    if (this.#failures > restart.maxAttempts) {
      this.#giveUp(error);
      return;
    }
    const delay = Math.min(restart.initialDelayMs * 2 ** (this.#failures - 1), restart.maxDelayMs);
    const wasRunning = this.#state === 'running';
    this.#state = 'restarting';
    if (wasRunning) this.#report?.('degraded', error);
    this.#logger.warn('restarting the plugin process', {
      attempt: this.#failures,
      of: restart.maxAttempts,
      delayMs: delay,
    });
    this.#restartTimer = setTimeout(() => void this.#restart(), delay);
    this.#restartTimer.unref?.();
  }

  async #restart(): Promise<void> {
    this.#restartTimer = undefined;
    if (this.#state !== 'restarting') return;
    let live: Live | undefined;
    try {
      live = await this.#spawn();
      // Visible to teardown while setup runs again.
      this.#pending = live;
      if (this.#setupParams !== undefined) {
        await live.session?.setup(this.#setupParams, { timeoutMs: this.#startupMs });
      }
    } catch (error) {
      if (this.#pending === live) this.#pending = undefined;
      if (live !== undefined) await live.transport.terminate(this.#settings.shutdown);
      const reason = isPluginError(error)
        ? error
        : new PluginUnavailable({ plugin: this.manifest.name, reason: String(error) });
      this.#crashed(reason, Date.now());
      return;
    }
    if (this.#pending === live) this.#pending = undefined;
    if (this.#state !== 'restarting') {
      await live.transport.terminate(this.#settings.shutdown);
      return;
    }
    this.#live = live;
    this.#restarts += 1;
    this.#state = 'running';
    this.#logger.info('the plugin process was restarted', {
      pid: live.transport.pid,
      restarts: this.#restarts,
    });
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
    this.#report?.('ready');
  }

  #giveUp(error: PluginRegistryError): void {
    this.#state = 'failed';
    const final = new PluginUnavailable({
      plugin: this.manifest.name,
      kind: this.manifest.kind,
      state: 'unavailable',
      reason: `its process failed ${this.#failures} times in a row; the runtime stopped restarting it (last: ${error.message})`,
      hint: 'fix the cause (see the plugin log), then registry.reload() the plugin',
      cause: error,
    });
    this.#lastError = final;
    this.#logger.error('giving up on the plugin process', { failures: this.#failures });
    this.#rejectWaiters(final);
    this.#report?.('unavailable', final);
  }

  #rejectWaiters(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  #unavailable(): PluginUnavailable {
    return new PluginUnavailable({
      plugin: this.manifest.name,
      kind: this.manifest.kind,
      state: this.#state === 'failed' ? 'unavailable' : this.#state,
      ...(this.#lastError === undefined ? {} : { reason: this.#lastError.message }),
    });
  }

  /** Wait for a restart in progress, or the call's cancellation. */
  #waitReady(call: HookCall): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = call.signal;
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          isPluginError(signal.reason)
            ? signal.reason
            : new HookCancelled({ ...this.#site(call.hook), cause: signal.reason }),
        );
      };
      const waiter: Waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  async setup(ctx: PluginContext): Promise<void> {
    const live = this.#live;
    if (live?.session === undefined || this.#state !== 'running') throw this.#unavailable();
    const params = setupParamsFrom(this.manifest, ctx);
    try {
      await live.session.setup(params, { timeoutMs: this.#startupMs });
    } catch (error) {
      // The registry does not tear down a plugin whose setup failed: end the process now.
      await this.teardown().catch(() => undefined);
      throw error;
    }
    this.#setupParams = params;
  }

  invoke(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    const live = this.#live;
    if (live?.session !== undefined && this.#state === 'running') {
      return live.session.invoke(hook, input, call);
    }
    if (this.#state === 'restarting') {
      return this.#waitReady(call).then(() => this.invoke(hook, input, call));
    }
    return Promise.reject(this.#unavailable());
  }

  async health(): Promise<HealthStatus> {
    const live = this.#live;
    if (live?.session !== undefined && this.#state === 'running') {
      return live.session.health({ timeoutMs: 10_000 });
    }
    if (this.#state === 'restarting') {
      return {
        status: 'degraded',
        message: `restarting after a crash (attempt ${this.#failures} of ${this.#settings.restart.maxAttempts})`,
      };
    }
    return { status: 'failing', message: this.#unavailable().message };
  }

  /**
   * ADR-0002 §Shutdown order: `dagstack/teardown`, close stdin, wait,
   * SIGTERM to the process group, 5 s, SIGKILL. Resolves what the plugin's
   * teardown answered; idempotent.
   */
  teardown(): Promise<boolean> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<boolean> {
    const before = this.#state;
    this.#state = 'stopping';
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#rejectWaiters(this.#unavailable());
    const live = this.#live;
    let released = true;
    let failure: unknown;
    try {
      if (
        live?.session !== undefined &&
        before === 'running' &&
        live.transport.exit === undefined
      ) {
        const budget = Math.min(
          Math.max(500, (this.manifest.teardown_timeout_sec * 1000) / 2),
          10_000,
        );
        try {
          released = await live.session.teardown({ timeoutMs: budget });
        } catch (error) {
          failure = error;
        }
      }
      await Promise.all([
        live?.transport.terminate(this.#settings.shutdown),
        this.#pending?.transport.terminate(this.#settings.shutdown),
      ]);
    } finally {
      this.#live = undefined;
      this.#state = 'stopped';
      this.#onStopped();
    }
    if (failure !== undefined) throw failure;
    return released;
  }
}
